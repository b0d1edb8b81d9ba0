"""CPU count under container quotas (cgroup v1 and v2 files written here), the thread setting built on it, and the
device setting (``auto`` / explicit names, errors naming the setting that was wrong)."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import pytest
import torch

from ganforge import api, hardware
from ganforge.api import configure_threads, resolve_device
from ganforge.errors import ConfigError


def test_cgroup_v2_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("250000 100000\n")
    assert hardware.cgroup_cpu_limit(tmp_path) == 3  # 2.5 CPUs of quota -> 3 threads
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert hardware.cgroup_cpu_limit(tmp_path) is None


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    assert hardware.cgroup_cpu_limit(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert hardware.cgroup_cpu_limit(tmp_path) is None


def test_no_cgroup_files_or_garbage_means_no_limit(tmp_path: Path) -> None:
    assert hardware.cgroup_cpu_limit(tmp_path) is None
    (tmp_path / "cpu.max").write_text("garbage\n")
    assert hardware.cgroup_cpu_limit(tmp_path) is None


def test_threads_follow_the_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(hardware, "cgroup_cpu_limit", lambda: 1)
        assert hardware.available_cpus() == 1
        assert configure_threads(0) == 1 and torch.get_num_threads() == 1
        monkeypatch.setattr(hardware, "cgroup_cpu_limit", lambda: None)
        assert hardware.available_cpus() == len(os.sched_getaffinity(0))
        assert configure_threads(2) == 2  # an explicit count wins
    finally:
        torch.set_num_threads(before)


def test_vector_math_warm_up_covers_every_vml_function_torch_links() -> None:
    """Every MKL VML entry point in this torch build (whose first call races across threads) is warmed up."""
    import mmap
    import re

    lib = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    if not lib.is_file():  # macOS / Windows builds name it differently and do not link MKL's VML
        lib = next((Path(torch.__file__).parent / "lib").glob("libtorch_cpu*"))
    with lib.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as image:
        linked = {m.decode() for m in re.findall(rb"\x00vms([A-Z][A-Za-z0-9]*)\x00", image)}
    torch_names = {"Ln": "log"}
    needed = {torch_names.get(name, name.lower()) for name in linked}
    if torch.backends.mkl.is_available():
        assert "tanh" in needed  # the function the resume flake was traced to
    assert needed <= set(hardware._VML_FUNCTIONS), needed - set(hardware._VML_FUNCTIONS)
    hardware.prepare_vector_math()
    assert hardware._vml_ready


def test_device_auto_without_cuda_is_the_cpu_and_errors_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu", "--device") == torch.device("cpu")
    with pytest.raises(ConfigError, match=r"--device='cuda' but CUDA is not available here; use --device=cpu"):
        resolve_device("cuda", "--device")
    with pytest.raises(ConfigError, match=r"train.device='cuda:1' but CUDA is not available"):
        resolve_device("cuda:1")
    with pytest.raises(ConfigError, match=r"train.device='gpu' is not a device; use auto, cpu, cuda or cuda:N"):
        resolve_device("gpu")


def test_bf16_asked_for_where_it_is_emulated_runs_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A CPU with AVX2 only has no bf16 units: ``auto`` picks fp32 there, an explicit bf16 is kept but warned of."""
    from ganforge.metrics import inception

    cpu = torch.device("cpu")
    for native in (False, True):
        monkeypatch.setattr(api, "native_bf16", lambda device, native=native: native)
        monkeypatch.setattr(inception, "native_bf16", lambda device, native=native: native)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ganforge.api"):
            assert api.resolve_precision("auto", cpu) == ("bf16" if native else "fp32")
            assert api.resolve_precision("fp32", cpu) == "fp32" and not caplog.records
            assert api.resolve_precision("bf16", cpu) == "bf16"
        assert ("emulated" in caplog.text and "train.precision=auto" in caplog.text) is not native
        assert inception.resolve_variant("auto") == ("bf16" if native else "fp32-frozen")
        if native:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # native bf16: no warning
                assert inception.resolve_variant("bf16") == "bf16"
        else:
            with pytest.warns(UserWarning, match="'bf16-autocast' on a device without bf16 units"):
                assert inception.resolve_variant("bf16-autocast") == "bf16-autocast"
