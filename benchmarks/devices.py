"""The device a benchmark runs on, and the synchronisation its clocks need there.

Every benchmark takes ``--device`` (``auto`` = CUDA when available, else the CPU; or ``cpu``, ``cuda``,
``cuda:N``), resolved by the same rule as ``train.device``. On CUDA kernels run asynchronously, so a clock is read
only after :func:`sync`; on the CPU it does nothing.
"""

from __future__ import annotations

import argparse

import torch

from ganforge.api import resolve_device


def device_option(parser: argparse.ArgumentParser) -> None:
    """Adds the benchmarks' shared ``--device`` option."""
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:N")


def device_of(args: argparse.Namespace) -> torch.device:
    """``--device`` as a torch device, by ``train.device``'s rule; errors name ``--device``."""
    return resolve_device(args.device, "--device")


def sync(device: torch.device) -> None:
    """Waits for ``device``'s queued kernels, so that a clock read after it times the work (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def describe(device: torch.device) -> str:
    """One line naming the hardware the numbers come from."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    import platform

    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
