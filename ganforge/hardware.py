"""What the hardware offers, asked once where a default depends on it (no checks at import)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from ganforge.errors import ConfigError

# The element-wise functions ATen computes with MKL's vector math library (VML) on CPU: the VML entry points
# linked into libtorch_cpu (`nm -D libtorch_cpu.so | grep " T vms"`), by their torch names.
_VML_FUNCTIONS = (
    "acos", "asin", "atan", "cos", "erf", "erfc", "erfinv", "exp", "log", "log10", "log2", "sin", "sqrt", "tan",
    "tanh", "trunc",
)  # fmt: skip
_vml_ready = False


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively: CUDA with bf16 support, or a CPU with AMX / AVX512-BF16."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """CPUs a container's CFS quota allows (rounded up), or ``None`` without a quota.

    Reads cgroup v2 ``cpu.max`` ("200000 100000" = 2 CPUs, "max 100000" = no limit) or cgroup v1
    ``cpu/cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1 = no limit).
    """
    try:
        if (root / "cpu.max").is_file():
            quota, period = (root / "cpu.max").read_text().split()[:2]
            if quota == "max":
                return None
            return max(1, math.ceil(int(quota) / int(period)))
        v1 = root / "cpu"
        if (v1 / "cpu.cfs_quota_us").is_file():
            quota_us = int((v1 / "cpu.cfs_quota_us").read_text())
            period_us = int((v1 / "cpu.cfs_period_us").read_text())
            return None if quota_us <= 0 else max(1, math.ceil(quota_us / period_us))
    except (OSError, ValueError):  # unreadable or unexpected: no limit known
        return None
    return None


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by a container CPU quota.

    ``os.cpu_count()`` would count the host's cores inside a container limited to a few, and one torch thread per
    host core on a 2-CPU quota is many times slower than two threads (they spin and get throttled).
    """
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = cgroup_cpu_limit()
    return min(n, limit) if limit is not None else n


def prepare_vector_math() -> None:
    """Makes MKL's vector math library choose every function's implementation now, on this thread alone.

    VML picks a function's code path on its first call. When the first call comes from two OpenMP threads at once
    (an op's halves, in parallel), one of them can compute that call by a less accurate path: measured here, the
    generator's final tanh was off by up to 8e-6 on the first half of the batch in about 1 process in 8 on a
    loaded 2-core machine (never after this warm-up: 0 of 40). That breaks bitwise-exact resumption, since a
    resumed process would round differently from the uninterrupted one. Calling each function once on a tensor
    too small to be split settles the choice; it costs well under a millisecond, once per process.
    """
    global _vml_ready
    if _vml_ready:
        return
    for dtype in (torch.float32, torch.float64):
        x = torch.full((8,), 0.5, dtype=dtype)
        for name in _VML_FUNCTIONS:
            getattr(torch, name)(x)
    _vml_ready = True


def resolve_device(name: str, setting: str = "train.device") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; validates explicit names (errors name ``setting``)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"{setting}={name!r} is not a device; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"{setting}={name!r} but CUDA is not available here; use {setting}=cpu (or auto)")
    return device
