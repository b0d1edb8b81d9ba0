"""What every suite shares: the device it runs on, the clock's synchronisation there, and where its record goes.

Every suite takes ``--device`` (``auto`` = CUDA when available, else the CPU; or ``cpu``, ``cuda``, ``cuda:N``),
resolved by the same rule as ``train.device``. On CUDA kernels run asynchronously, so a clock is read only after
:func:`sync`; on the CPU it does nothing.

Every suite writes its numbers as one JSON record: to ``--out FILE`` when given (replaced atomically: the user
named it), else to a new ``runs/benchmarks/SUITE-YYYYmmdd-HHMMSS.json`` that never replaces an earlier file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

import torch

from ganforge.api import resolve_device
from ganforge.errors import GanforgeError
from ganforge.fileio import atomic_write_text, check_creatable, fsync_dir, make_temp_file
from ganforge.hardware import native_bf16

#: Where a suite's record goes when ``--out`` is not given (relative to the working directory, the repository root
#: when run as ``python -m benchmarks.SUITE``; ``runs/`` is ignored by git).
RESULTS_DIR = Path("runs") / "benchmarks"


def device_option(parser: argparse.ArgumentParser) -> None:
    """Adds the suites' shared ``--device`` option."""
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
    bf16 = "native bf16" if native_bf16(device) else "no bf16 units"
    return f"{cpu_model()}, {torch.get_num_threads()} threads, {bf16}"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux; elsewhere what :mod:`platform` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def out_option(parser: argparse.ArgumentParser) -> None:
    """Adds the suites' shared ``--out`` option (the JSON record)."""
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE.json",
        help=f"write the JSON record here, replacing FILE if it exists (default: a new "
        f"{RESULTS_DIR}/SUITE-TIME.json, never an existing file)",
    )  # fmt: skip


def check_out(parser: argparse.ArgumentParser, out: Path | None, option: str = "--out") -> None:
    """Fails through ``parser`` (exit 2) before any work if ``option``'s file (``None``: the default record under
    :data:`RESULTS_DIR`) cannot be written."""
    try:
        check_creatable(out if out is not None else RESULTS_DIR / "record.json", option)
    except GanforgeError as exc:
        parser.error(str(exc))


def note(message: str) -> None:
    """A progress line, on stderr: stdout carries the suite's table only."""
    print(message, file=sys.stderr, flush=True)


def save_record(suite: str, record: Any, out: Path | None = None) -> Path:
    """Writes ``record`` as JSON, atomically, and returns the path (also named on stderr).

    Args:
        suite: The suite's name, the stem of the default file name.
        record: What ``json.dumps`` can write.
        out: The user's ``--out``: replaced if it exists. ``None``: a new file under :data:`RESULTS_DIR` named
            after ``suite`` and the time; an existing file is never replaced (a numbered name is taken instead).
    """
    text = json.dumps(record, indent=2) + "\n"
    if out is not None:
        path = atomic_write_text(out, text)
    else:
        path = _write_new(RESULTS_DIR, f"{suite}-{time.strftime('%Y%m%d-%H%M%S')}", text)
    note(f"wrote {path}")
    return path


def _write_new(folder: Path, stem: str, text: str) -> Path:
    """Writes ``text`` to ``folder/stem.json`` (``stem-1.json``, ... if taken) without replacing any file.

    The content goes to a temporary file first, then gets its name by a hard link, which fails where the name
    exists (a rename would replace it): a reader sees no file or the whole one, and two suites finishing in the
    same second both keep their records.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp_file(folder, prefix=f".{stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode())
            fh.flush()
            os.fsync(fh.fileno())
        for i in count():
            path = folder / (f"{stem}.json" if i == 0 else f"{stem}-{i}.json")
            try:
                os.link(tmp, path)
            except FileExistsError:
                continue
            fsync_dir(folder)
            return path
    finally:
        tmp.unlink(missing_ok=True)
    raise AssertionError("unreachable")  # pragma: no cover - count() never ends
