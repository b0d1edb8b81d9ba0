"""Fréchet distance between Gaussians fitted to features (the FID formula, Heusel et al. 2017).

    d² = ||μ₁ − μ₂||² + Tr(Σ₁) + Tr(Σ₂) − 2 Tr((Σ₁ Σ₂)^½)

The trace of the matrix square root is computed without forming the (generally non-symmetric)
product Σ₁Σ₂: with S = Σ₁^½ (symmetric, from an eigendecomposition), Σ₁Σ₂ is similar to the
symmetric positive semi-definite S Σ₂ S, so Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(S Σ₂ S). Everything runs in float64
and tiny negative eigenvalues from rounding are clipped to zero, which avoids the complex results and
the `offset` retries of the usual scipy.linalg.sqrtm route (same value where that one converges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianStats:
    """Mean ``mu [D]`` and covariance ``sigma [D, D]`` (float64) of ``n`` feature vectors."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int

    @classmethod
    def of(cls, features: np.ndarray) -> GaussianStats:
        """Fits the Gaussian to ``features [N, D]`` (unbiased covariance, as in the reference FID code)."""
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < 2:
            raise ValueError(f"need features [N >= 2, D], got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"{int((~np.isfinite(x)).any(axis=1).sum())} of {len(x)} feature rows hold NaN or inf")
        return cls(mu=x.mean(axis=0), sigma=np.cov(x, rowvar=False), n=x.shape[0])


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (negative rounding noise clipped)."""
    w, v = np.linalg.eigh((matrix + matrix.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``Tr((Σ₁ Σ₂)^½)`` for symmetric PSD ``Σ₁``, ``Σ₂``."""
    s = _sqrt_psd(np.asarray(sigma1, dtype=np.float64))
    middle = s @ np.asarray(sigma2, dtype=np.float64) @ s
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sqrt(np.clip(eig, 0, None)).sum())


def frechet_distance(a: GaussianStats, b: GaussianStats) -> float:
    """The squared Fréchet distance between two feature Gaussians (what papers call FID)."""
    if a.mu.shape != b.mu.shape:
        raise ValueError(f"feature sizes differ: {a.mu.shape[0]} vs {b.mu.shape[0]}")
    diff = a.mu - b.mu
    value = float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * trace_sqrt_product(a.sigma, b.sigma))
    return max(value, 0.0)  # rounding can take an exact 0 a hair below zero
