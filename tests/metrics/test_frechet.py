"""The Fréchet distance against closed forms and an independent scipy computation."""

import numpy as np
import pytest
import scipy.linalg

from ganforge.metrics.frechet import GaussianStats, frechet_distance, trace_sqrt_product


def scipy_fd(a: GaussianStats, b: GaussianStats) -> float:
    """The reference implementation's route: scipy.linalg.sqrtm of the product."""
    covmean = scipy.linalg.sqrtm(a.sigma @ b.sigma).real
    diff = a.mu - b.mu
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2 * np.trace(covmean))


def test_closed_form_for_diagonal_gaussians() -> None:
    # For diagonal covariances: d² = ||μ1-μ2||² + Σ (σ1ᵢ - σ2ᵢ)² with σ the standard deviations.
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    sd1, sd2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
    a = GaussianStats(mu1, np.diag(sd1**2), 100)
    b = GaussianStats(mu2, np.diag(sd2**2), 100)
    assert frechet_distance(a, b) == pytest.approx(5.0 + 4.0 + 1.0, rel=1e-12)


def test_closed_form_for_rotated_gaussians() -> None:
    # Rotating both covariances by the same orthogonal Q leaves the distance unchanged.
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    sd1, sd2 = rng.uniform(0.5, 2, 5), rng.uniform(0.5, 2, 5)
    a = GaussianStats(np.zeros(5), q @ np.diag(sd1**2) @ q.T, 10)
    b = GaussianStats(np.zeros(5), q @ np.diag(sd2**2) @ q.T, 10)
    assert frechet_distance(a, b) == pytest.approx(float(((sd1 - sd2) ** 2).sum()), rel=1e-9)


@pytest.mark.parametrize("dim", [8, 64, 256])
def test_matches_scipy_sqrtm_on_random_features(dim: int) -> None:
    rng = np.random.default_rng(dim)
    mix = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    a = GaussianStats.of(rng.normal(size=(2000, dim)) @ mix)
    b = GaussianStats.of(rng.normal(size=(2000, dim)) @ mix * 1.3 + 0.2)
    assert frechet_distance(a, b) == pytest.approx(scipy_fd(a, b), rel=1e-6)
    assert trace_sqrt_product(a.sigma, b.sigma) == pytest.approx(np.trace(scipy.linalg.sqrtm(a.sigma @ b.sigma).real))


def test_identical_sets_give_zero_and_rank_deficient_is_fine() -> None:
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(50, 200))  # fewer samples than dimensions: singular covariance
    s = GaussianStats.of(feats)
    assert frechet_distance(s, s) == pytest.approx(0.0, abs=1e-6)
    other = GaussianStats.of(rng.normal(size=(50, 200)))
    value = frechet_distance(s, other)
    assert np.isfinite(value) and value > 0


def test_stats_validate_shapes() -> None:
    with pytest.raises(ValueError, match="need features"):
        GaussianStats.of(np.zeros((1, 4)))
    with pytest.raises(ValueError, match="feature sizes differ"):
        frechet_distance(GaussianStats.of(np.ones((3, 2)) + np.eye(3, 2)), GaussianStats.of(np.eye(3)))
    bad = np.random.default_rng(0).normal(size=(5, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="1 of 5 feature rows hold NaN or inf"):
        GaussianStats.of(bad)
