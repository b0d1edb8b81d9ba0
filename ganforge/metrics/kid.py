"""Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs").

The unbiased estimator of the squared MMD with the cubic polynomial kernel
k(x, y) = (xᵀy / d + 1)³, averaged over random subsets of equal size m:

    MMD²ᵤ = 1/(m(m−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(m(m−1)) Σ_{i≠j} k(yᵢ, yⱼ) − 2/m² Σ_{i,j} k(xᵢ, yⱼ)

Being unbiased, it is ~0 (and can be slightly negative) for two samples of one distribution.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KIDResult:
    """Mean and standard deviation of the per-subset estimates; ``subset_size`` and ``subsets`` used."""

    mean: float
    std: float
    subset_size: int
    subsets: int


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(x yᵀ / d + 1)³`` for ``x [N, d]``, ``y [M, d]``."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased squared MMD of two equal-size samples under :func:`polynomial_kernel`."""
    m = x.shape[0]
    if y.shape[0] != m or m < 2:
        raise ValueError(f"need two samples of the same size >= 2, got {x.shape[0]} and {y.shape[0]}")
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2.0 * kxy.sum() / (m * m))


def kernel_distance(
    features_a: np.ndarray, features_b: np.ndarray, *, subset_size: int = 1000, subsets: int = 100, seed: int = 0
) -> KIDResult:
    """KID between two feature sets ``[N, d]`` and ``[M, d]``.

    Args:
        subset_size: Samples per subset (the paper's 1,000); capped at the smaller set's size.
        subsets: Number of random subsets (drawn without replacement within a subset).
        seed: Seed of the subset draws.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need features [N, d] and [M, d], got {a.shape} and {b.shape}")
    m = min(subset_size, a.shape[0], b.shape[0])
    if m == a.shape[0] == b.shape[0] and subsets > 1:
        log.warning("KID subsets of %d are both whole sets: every subset is the same, so kid_std is 0 and says "
                    "nothing of the spread; measure more than %d images per side for one", m, m)  # fmt: skip
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(a[rng.choice(a.shape[0], m, replace=False)], b[rng.choice(b.shape[0], m, replace=False)])
        for _ in range(subsets)
    ]
    return KIDResult(float(np.mean(values)), float(np.std(values)), m, subsets)
