"""Checksum-verified, atomic downloads of dataset files into a local cache (urllib only)."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Sequence
from pathlib import Path

from ganforge.errors import DataError
from ganforge.fileio import make_temp_file

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_USER_AGENT = "ganforge-dataset-downloader/0.1 (python urllib)"


def default_cache_root() -> Path:
    """Root of the dataset cache: ``$GANFORGE_CACHE/datasets`` if set, else ``~/.cache/ganforge/datasets``."""
    env = os.environ.get("GANFORGE_CACHE")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "ganforge"
    return base / "datasets"


def cache_dir_for(name: str, cache_dir: str | None) -> Path:
    """Folder holding dataset ``name``'s files: ``<cache_dir or default_cache_root()>/<name>``."""
    root = Path(cache_dir).expanduser() if cache_dir else default_cache_root()
    return root.absolute() / name


def file_md5(path: Path) -> str:
    """MD5 hex digest of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gunzip_md5(path: Path) -> tuple[str | None, str]:
    """MD5 of the decompressed content of a gzip file, or ``None`` and why it cannot be decompressed."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        try:
            while chunk := f.read(_CHUNK):
                digest.update(inflater.decompress(chunk))
                if inflater.eof and inflater.unused_data:
                    return None, "corrupt: trailing bytes after the gzip stream"
        except zlib.error as exc:
            return None, f"corrupt gzip data ({exc})"
    if not inflater.eof:
        return None, "truncated: the gzip stream ends early"
    return digest.hexdigest(), ""


def verify_file(path: Path, gz_md5: str, raw_md5: str | None = None) -> str | None:
    """Checks a downloaded or cached file; returns ``None`` if it is good, else the reason it is not.

    A file is good when its MD5 is ``gz_md5`` (the official compressed file) or, when ``raw_md5`` is
    given, when it is a valid gzip file whose decompressed content has MD5 ``raw_md5`` (the same data
    recompressed by someone else, e.g. a mirror of Debian's copy).
    """
    actual = file_md5(path)
    if actual == gz_md5:
        return None
    if raw_md5 is None:
        return f"checksum mismatch: MD5 {actual}, expected {gz_md5}"
    content_md5, problem = _gunzip_md5(path)
    if content_md5 is None:
        return problem
    if content_md5 != raw_md5:
        return f"checksum mismatch: decompressed MD5 {content_md5}, expected {raw_md5}"
    return None


class _MirrorFailed(Exception):
    """One URL failed; the reason is collected and the next mirror is tried."""


def _download_to(url: str, dest: Path, gz_md5: str, raw_md5: str | None, timeout: float) -> None:
    """Downloads ``url`` to a temporary file beside ``dest``, verifies it, then renames it into place."""
    fd, tmp = make_temp_file(dest.parent, prefix=f".{dest.name}.", suffix=".part")  # umask-based mode
    try:
        received = 0
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except urllib.error.HTTPError as exc:
            raise _MirrorFailed(f"HTTP {exc.code} {exc.reason}") from exc
        except http.client.IncompleteRead as exc:
            raise _MirrorFailed(f"truncated: the connection closed after {received + len(exc.partial)} bytes") from exc
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _MirrorFailed(f"network error: {reason}") from exc
        if length is not None and length.isdigit() and int(length) != received:
            raise _MirrorFailed(f"truncated: received {received} of {length} bytes (Content-Length)")
        problem = verify_file(tmp, gz_md5, raw_md5)
        if problem is not None:
            raise _MirrorFailed(problem)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def fetch(
    filename: str,
    dest_dir: Path,
    mirrors: Sequence[str],
    *,
    gz_md5: str,
    raw_md5: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Returns ``dest_dir/filename``, downloading it from the first working mirror if needed.

    A cached file that passes :func:`verify_file` is used as is (no network access); one that fails is
    downloaded again. A download goes to a temporary file in ``dest_dir``, is verified, and only then
    renamed into place (``os.replace``, atomic), so the cache never holds a partial or corrupt file.

    Args:
        filename: File name, appended to each mirror URL.
        dest_dir: Cache folder (created if missing).
        mirrors: Base URLs tried in order; a failing mirror (HTTP/network error, truncated transfer,
            checksum mismatch) is logged and the next one is tried.
        gz_md5: MD5 of the official file.
        raw_md5: MD5 of its decompressed content, to also accept recompressed copies (see
            :func:`verify_file`).
        timeout: Socket timeout per request, in seconds.

    Raises:
        DataError: If every mirror fails; the message names the file and each URL with its reason.
    """
    dest = dest_dir / filename
    if dest.is_file():
        problem = verify_file(dest, gz_md5, raw_md5)
        if problem is None:
            return dest
        log.warning("cached %s is bad (%s); downloading it again", dest, problem)
    if not mirrors:
        raise DataError(f"cannot download {filename}: the mirror list is empty")
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create cache folder {dest_dir}: {exc.strerror or exc}; pass cache_dir=") from exc
    failures: list[str] = []
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        log.info("downloading %s", url)
        try:
            _download_to(url, dest, gz_md5, raw_md5, timeout)
        except _MirrorFailed as exc:
            log.warning("download of %s failed: %s", url, exc)
            failures.append(f"  {url}: {exc}")
            continue
        return dest
    raise DataError(
        f"could not download a valid {filename} (nothing was kept in {dest_dir}):\n"
        + "\n".join(failures)
        + "\nCheck the network or the mirrors, or pass path= to a folder holding the official files."
    )
