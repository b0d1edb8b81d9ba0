"""One training process per run directory.

``RUN/.lock`` is held with ``flock`` while a process trains the run: a second ``train --resume`` of
the same directory fails at once with the owner's pid instead of interleaving checkpoints. The kernel
drops the lock when the owner exits in any way (SIGKILL included), so a crash never leaves a stale
lock behind; the file itself stays and is harmless.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.rundir import RunDir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; runs there are not guarded
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Holds the run directory's lock for the duration of the block.

    Raises:
        GanforgeError: another live process holds the lock.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(RunDir(run_dir).lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise GanforgeError(
                f"{run_dir} is being trained by process {owner}; wait for it to finish or stop it "
                "(Ctrl-C / kill) before resuming"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock
