"""What the hardware offers, asked once where a default depends on it (no checks at import)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch


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
