"""Atomic file writes: a reader sees the old file or the whole new one, never a partial one.

Temporary files and folders are created here rather than with :mod:`tempfile`, whose ``mkstemp`` /
``mkdtemp`` make them private (0600 / 0700) whatever the umask; renamed into place, they would leave
run files that other users (a shared TensorBoard, a web UI) cannot read. Ours get the mode a plain
``open()`` / ``mkdir()`` gives: 0666 / 0777 less the umask, applied by the OS. safetensors' ``save_file``
does the same as ``mkstemp``, so tensors are serialised to bytes and written with :func:`write_synced`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ganforge.errors import GanforgeError, WriteError

#: Random names tried before giving up (a clash needs the same 8 random hex digits).
_TEMP_ATTEMPTS = 100
#: What to do about the usual reasons a write fails, by errno.
_WRITE_HINTS = {
    errno.ENOSPC: "the disk is full; free some space",
    errno.EDQUOT: "the disk quota is used up; free some space",
    errno.EFBIG: "the file would be larger than this process may write; raise the file-size limit (ulimit -f)",
    errno.EROFS: "the file system is read-only; write somewhere else",
    errno.EACCES: "no permission to write there; write somewhere else",
}


def write_error(path: str | Path, exc: OSError) -> WriteError:
    """A :class:`WriteError` naming ``path`` (a write's own ``OSError`` names no file) and what to do about it."""
    hint = _WRITE_HINTS.get(exc.errno or 0)
    return WriteError(f"cannot write {path}: {exc.strerror or exc}" + (f" ({hint})" if hint else ""))


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turns an ``OSError`` raised in the block into a :func:`write_error` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise write_error(path, exc) from exc


def write_synced(path: str | Path, data: bytes, *, shown_as: str | Path | None = None) -> None:
    """Writes ``data`` to ``path`` and fsyncs it; the mode is what ``open()`` gives (the umask's). For files
    written inside a temporary folder that is then renamed into place whole (checkpoints, ``generator/``):
    a :class:`WriteError` names the file as ``shown_as``, where it was going to be, rather than the temporary."""
    with writing(shown_as or path), open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _temp_name(directory: Path, prefix: str, suffix: str) -> Path:
    return directory / f"{prefix}{secrets.token_hex(4)}{suffix}"


def make_temp_file(directory: str | Path, *, prefix: str = "", suffix: str = "") -> tuple[int, Path]:
    """Creates a new, empty file with a unique name in ``directory`` and returns its open fd and path.

    Like :func:`tempfile.mkstemp`, but the mode is ``0o666 & ~umask`` (what ``open()`` gives), not ``0o600``.
    The caller closes the fd and renames or removes the file.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(_TEMP_ATTEMPTS):
        path = _temp_name(Path(directory), prefix, suffix)
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
        except OSError as exc:
            raise write_error(path, exc) from exc
    raise FileExistsError(f"no free temporary file name {prefix}*{suffix} in {directory}; remove stale ones")


def make_temp_dir(directory: str | Path, *, prefix: str = "") -> Path:
    """Creates a new, empty folder with a unique name in ``directory`` and returns its path.

    Like :func:`tempfile.mkdtemp`, but the mode is ``0o777 & ~umask`` (what ``mkdir()`` gives), not ``0o700``.
    """
    for _ in range(_TEMP_ATTEMPTS):
        path = _temp_name(Path(directory), prefix, "")
        try:
            path.mkdir(0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            raise write_error(path, exc) from exc
        return path
    raise FileExistsError(f"no free temporary folder name {prefix}* in {directory}; remove stale ones")


def fsync_dir(path: Path) -> None:
    """Flushes a file, or a directory's entries (renames inside it), to disk where the platform allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object], *, durable: bool = False) -> Path:
    """Calls ``write(fh)`` on a temporary file next to ``path``, then renames it over ``path``.

    Args:
        path: Destination; its folder is created if missing.
        write: Writes the whole content to the binary file handle it is given.
        durable: Also fsync the file and the folder (checkpoints, configs) so the rename survives a power cut.

    Raises:
        WriteError: The write failed (disk full, file-size limit, ...): ``path`` is as it was, no temporary is left.
    """
    path = Path(path)
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with writing(path):
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Writes ``text`` (UTF-8) to ``path`` atomically and durably."""
    return atomic_write(path, lambda fh: fh.write(text.encode()), durable=True)


def check_creatable(path: str | Path, option: str, *, folder: bool = False) -> None:
    """Raises :class:`GanforgeError` where creating ``path`` (a file, or a ``folder``) would fail, so that a
    command fails before its work rather than after it: a folder where the file goes, a file where the folder
    goes, a file in the way of a parent folder, or no permission to write in the nearest existing folder."""
    path = Path(path)
    if path.is_dir() and not folder:
        raise GanforgeError(f"{option} {path} is a folder; name a file (e.g. {path / 'out'}{path.suffix})")
    if path.exists() and not path.is_dir() and folder:
        raise GanforgeError(f"{option} {path} is a file; name a new folder")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise GanforgeError(f"{option} {path}: {parent} is a file, so nothing can be made inside it; "
                            f"choose another {option}")  # fmt: skip
    if not os.access(parent, os.W_OK | os.X_OK):
        raise GanforgeError(f"{option} {path}: no permission to write in {parent}; choose another {option}")
