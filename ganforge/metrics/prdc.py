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

import numpy as np


def pairwise_distances(a: np.ndarray, b: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Euclidean distances ``[N, M]`` (float64), computed in row chunks to bound memory."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    b2 = (b * b).sum(axis=1)
    out = np.empty((a.shape[0], b.shape[0]))
    for start in range(0, a.shape[0], chunk):
        x = a[start : start + chunk]
        d2 = (x * x).sum(axis=1)[:, None] + b2[None, :] - 2.0 * x @ b.T
        out[start : start + chunk] = np.sqrt(np.clip(d2, 0.0, None))
    return out


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each sample to its k-th nearest neighbour in the same set (itself excluded)."""
    if features.shape[0] <= k:
        raise ValueError(f"need more than k={k} samples, got {features.shape[0]}")
    d = pairwise_distances(features, features)
    np.fill_diagonal(d, np.inf)  # exclude the sample itself, even where duplicates exist
    return np.partition(d, k - 1, axis=1)[:, k - 1]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of ``fake [M, d]`` against ``real [N, d]``."""
    d = pairwise_distances(real, fake)  # [N, M]
    precision = float((d <= knn_radii(real, k)[:, None]).any(axis=0).mean())
    recall = float((d <= knn_radii(fake, k)[None, :]).any(axis=1).mean())
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Density and coverage of ``fake [M, d]`` against ``real [N, d]``."""
    inside = pairwise_distances(real, fake) <= knn_radii(real, k)[:, None]  # [N, M]
    density = float(inside.sum() / (k * fake.shape[0]))
    coverage = float(inside.any(axis=1).mean())
    return density, coverage
