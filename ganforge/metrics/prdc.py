"""Precision / recall (Kynkäänniemi et al. 2019) and density / coverage (Naeem et al. 2020) on features.

Each real sample gets a ball whose radius is the distance to its k-th nearest real neighbour (itself
excluded); fake samples get balls from their own k-NN for recall.

- precision: share of fake samples inside at least one real ball (quality);
- recall: share of real samples inside at least one fake ball (diversity);
- density: (1 / (k M)) Σ_fake (number of real balls containing it): ~1 for matching distributions,
  robust to real outliers, can exceed 1;
- coverage: share of real samples whose ball contains at least one fake sample.

The papers' defaults: k = 3 for precision / recall, k = 5 for density / coverage.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: Rows of a distance block, ``CHUNK x N`` float64: 80 MB against N = 10k images, 400 MB against 50k.
CHUNK = 1024


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[N, M]`` (float64). For small sets and tests: the metrics below use :func:`_blocks`."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.concatenate([block for _, block in _blocks(a, b)]) if len(a) else np.empty((0, len(b)))


def _blocks(a: np.ndarray, b: np.ndarray, chunk: int = CHUNK) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, distances from a[start : start + chunk] to every row of b)``, one row block at a time: the
    metrics never hold the whole ``[N, M]`` matrix (20 GB at 50k x 50k)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    b2 = (b * b).sum(axis=1)
    for start in range(0, a.shape[0], chunk):
        x = a[start : start + chunk]
        d2 = (x * x).sum(axis=1)[:, None] + b2[None, :] - 2.0 * x @ b.T
        yield start, np.sqrt(np.clip(d2, 0.0, None, out=d2), out=d2)


def knn_radii(features: np.ndarray, k: int, chunk: int = CHUNK) -> np.ndarray:
    """Distance from each sample to its k-th nearest neighbour in the same set (itself excluded)."""
    if features.shape[0] <= k:
        raise ValueError(f"need more than k={k} samples, got {features.shape[0]}")
    radii = np.empty(features.shape[0])
    for start, d in _blocks(features, features, chunk):
        rows = np.arange(d.shape[0])
        d[rows, start + rows] = np.inf  # exclude the sample itself, even where duplicates exist
        radii[start : start + d.shape[0]] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3, chunk: int = CHUNK) -> tuple[float, float]:
    """Improved precision and recall of ``fake [M, d]`` against ``real [N, d]``."""
    real_radii, fake_radii = knn_radii(real, k, chunk), knn_radii(fake, k, chunk)
    in_real = sum(int((d <= real_radii[None, :]).any(axis=1).sum()) for _, d in _blocks(fake, real, chunk))
    in_fake = sum(int((d <= fake_radii[None, :]).any(axis=1).sum()) for _, d in _blocks(real, fake, chunk))
    return in_real / len(fake), in_fake / len(real)


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5, chunk: int = CHUNK) -> tuple[float, float]:
    """Density and coverage of ``fake [M, d]`` against ``real [N, d]``."""
    radii = knn_radii(real, k, chunk)
    balls, covered = 0, 0  # fake samples inside real balls (with multiplicity); real balls holding any
    for start, d in _blocks(real, fake, chunk):
        inside = d <= radii[start : start + d.shape[0], None]  # [chunk of real, M]
        balls += int(inside.sum())
        covered += int(inside.any(axis=1).sum())
    return balls / (k * len(fake)), covered / len(real)
