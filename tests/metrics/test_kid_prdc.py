"""KID, precision/recall and density/coverage against naive computations and known-by-construction sets."""

import itertools
import logging

import numpy as np
import pytest

from ganforge.metrics.kid import kernel_distance, mmd2_unbiased
from ganforge.metrics.prdc import density_coverage, knn_radii, pairwise_distances, precision_recall


def naive_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Double loops over the definition (Bińkowski et al., eq. for the unbiased estimator)."""
    m, d = len(x), x.shape[1]

    def k(a: np.ndarray, b: np.ndarray) -> float:
        return (float(a @ b) / d + 1) ** 3

    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_mmd_matches_the_definition() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(0.5, 1.2, size=(12, 5))
    assert mmd2_unbiased(x, y) == pytest.approx(naive_mmd2(x, y), rel=1e-10)


def test_kid_same_distribution_is_near_zero_and_shift_is_positive() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1500, 32)), rng.normal(size=(1500, 32))
    same = kernel_distance(a, b, subset_size=500, subsets=20)
    shifted = kernel_distance(a, b + 0.5, subset_size=500, subsets=20)
    assert abs(same.mean) < 3 * same.std + 1e-3
    assert shifted.mean > 20 * max(abs(same.mean), same.std)
    assert same.subset_size == 500 and same.subsets == 20
    assert kernel_distance(a, a[:100], subset_size=1000, subsets=2).subset_size == 100  # capped


def test_kid_says_when_its_std_is_empty(caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    with caplog.at_level(logging.WARNING, logger="ganforge.metrics.kid"):
        whole = kernel_distance(a, b, subsets=10)  # subsets of 1,000 capped at 200: the whole sets every time
    assert whole.subset_size == 200 and whole.std < 1e-12 and "kid_std is 0" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ganforge.metrics.kid"):
        part = kernel_distance(a, b, subset_size=100, subsets=10)
    assert part.std > 1e-4 and caplog.text == ""


def test_pairwise_distances_and_radii() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(5, 3))
    naive = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    np.testing.assert_allclose(pairwise_distances(a, b), naive, rtol=1e-10, atol=1e-12)
    line = np.arange(6, dtype=float)[:, None]  # points 0..5 on a line
    for chunk in (2, 4, 2048):  # row blocks of the distance matrix: the same radii however it is cut
        assert knn_radii(line, 1, chunk).tolist() == [1, 1, 1, 1, 1, 1]
        assert knn_radii(line, 2, chunk).tolist() == [2, 1, 1, 1, 1, 2]
    real, fake = rng.normal(size=(300, 5)), rng.normal(size=(250, 5)) + 0.3
    whole = pairwise_distances(real, fake)  # the metrics by their definitions, on the whole matrix
    real_r = np.partition(pairwise_distances(real, real) + np.diag(np.full(300, np.inf)), 2, axis=1)[:, 2]
    fake_r = np.partition(pairwise_distances(fake, fake) + np.diag(np.full(250, np.inf)), 2, axis=1)[:, 2]
    expected_pr = ((whole <= real_r[:, None]).any(0).mean(), (whole <= fake_r[None, :]).any(1).mean())
    real_r5 = np.partition(pairwise_distances(real, real) + np.diag(np.full(300, np.inf)), 4, axis=1)[:, 4]
    inside = whole <= real_r5[:, None]
    expected_dc = (inside.sum() / (5 * 250), inside.any(1).mean())
    for chunk in (7, 64, 2048):
        assert precision_recall(real, fake, k=3, chunk=chunk) == pytest.approx(expected_pr, abs=1e-12)
        assert density_coverage(real, fake, k=5, chunk=chunk) == pytest.approx(expected_dc, abs=1e-12)


def test_precision_recall_by_construction() -> None:
    grid = np.array([(x, y) for x in range(10) for y in range(10)], dtype=float)  # real: a 10x10 grid
    left_half = grid[grid[:, 0] < 5] + 0.01  # fake: good samples, half the modes
    precision, recall = precision_recall(grid, left_half, k=3)
    assert precision == 1.0  # every fake sample lies on the real support
    assert 0.45 <= recall <= 0.65  # about half the real grid is reached
    far = grid + 100.0
    assert precision_recall(grid, far, k=3) == (0.0, 0.0)


def test_density_coverage_by_construction() -> None:
    rng = np.random.default_rng(3)
    real = rng.normal(size=(2000, 4))
    fake = rng.normal(size=(2000, 4))
    density, coverage = density_coverage(real, fake, k=5)
    assert 0.9 < density < 1.1 and coverage > 0.95  # the same distribution
    collapsed = np.repeat(real[:1], 2000, axis=0)  # every fake sample on one real point
    density, coverage = density_coverage(real, collapsed, k=5)
    assert coverage < 0.01
