"""Content-keyed cache of real-data features (torch-fidelity style), written atomically.

The key is the SHA-256 of the feature extractor's protocol and of the images' pixels, so any change of
data, subset, resize or network gives a new entry and a stale entry can never be read. Generated images
are not cached (they change with every checkpoint). Features are stored as float32 ``.npy``: the
extractors compute in float32, so the round trip is exact.

Processes that miss the same entry at once (two ``ganforge bench fid`` runs started together, say) compute it
once: the first holds ``KEY.lock`` (``filelock``, the lock torch and huggingface_hub use) while it extracts, the
others wait for it and read what it wrote. The empty lock file stays behind, as such locks do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from ganforge.fileio import atomic_write

log = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$GANFORGE_CACHE/features`` if set, else ``~/.cache/ganforge/features``."""
    env = os.environ.get("GANFORGE_CACHE")
    return (Path(env) if env else Path.home() / ".cache" / "ganforge") / "features"


def cache_key(protocol: dict[str, Any], images_digest: str) -> str:
    payload = json.dumps(protocol, sort_keys=True) + images_digest
    return hashlib.sha256(payload.encode()).hexdigest()


def cached_features(
    key: str, compute: Callable[[], np.ndarray], *, root: Path | None = None, expected_rows: int | None = None
) -> np.ndarray:
    """Features under ``key`` from the cache, or ``compute()`` them and store them.

    Returns float64 ``[N, D]``. An unreadable or mis-shaped entry is recomputed and replaced. While another
    process computes the same entry, waits for it rather than computing it a second time.
    """
    path = (root or cache_root()) / f"{key}.npy"
    feats = _read(path, expected_rows)
    if feats is not None:
        return feats
    warned = path.is_file()  # an unusable entry: _read has said so once
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path.with_suffix(".lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("another process is computing the features of %s; waiting for it", path.name)
        lock.acquire()
    try:
        feats = _read(path, expected_rows, quiet=warned)  # what the process we waited for wrote
        if feats is not None:
            return feats
        feats32 = np.asarray(compute(), dtype=np.float32)
        atomic_write(path, lambda fh: np.save(fh, feats32, allow_pickle=False))
        return feats32.astype(np.float64)
    finally:
        lock.release()


def _read(path: Path, expected_rows: int | None, *, quiet: bool = False) -> np.ndarray | None:
    """The entry at ``path`` as float64, or None (with a warning, unless ``quiet``, if it exists but is unusable)."""
    if not path.is_file():
        return None
    try:
        feats = np.load(path, allow_pickle=False)
        if feats.ndim == 2 and (expected_rows is None or feats.shape[0] == expected_rows):
            return feats.astype(np.float64)
        if not quiet:
            log.warning("cached features %s have shape %s; recomputing", path, feats.shape)
    except (OSError, ValueError) as exc:
        if not quiet:
            log.warning("cannot read cached features %s (%s); recomputing", path, exc)
    return None
