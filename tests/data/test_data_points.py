"""The 2D mixtures ring8 / grid25: geometry, σ, labels, determinism, and how they load."""

import numpy as np
import pytest

from ganforge.data import DeviceDataset, load_dataset, load_points
from ganforge.errors import DataError


def test_ring8_geometry_and_spread() -> None:
    ring = load_points("ring8", "train")
    assert ring.points.shape == (100_000, 2) and ring.points.dtype == np.float32 and ring.num_classes == 8
    np.testing.assert_allclose(np.linalg.norm(ring.modes, axis=1), 1.0)  # radius 1
    angles = np.sort(np.mod(np.arctan2(ring.modes[:, 1], ring.modes[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), np.pi / 4)  # evenly spaced
    offsets = ring.points - ring.modes[ring.labels]
    assert offsets.std() == pytest.approx(0.01, rel=0.02) and ring.std == 0.01
    counts = np.bincount(ring.labels, minlength=8)
    assert counts.min() > 0.95 * 100_000 / 8  # equal weights


def test_grid25_geometry_and_splits() -> None:
    grid = load_points("grid25", "test")
    assert grid.points.shape == (25_000, 2) and grid.num_classes == 25
    assert sorted(set(grid.modes[:, 0])) == [-4, -2, 0, 2, 4] and sorted(set(grid.modes[:, 1])) == [-4, -2, 0, 2, 4]
    assert (grid.points - grid.modes[grid.labels]).std() == pytest.approx(0.05, rel=0.03)
    again = load_points("grid25", "test")
    train = load_points("grid25", "train")
    assert np.array_equal(grid.points, again.points)  # a fixed dataset
    assert not np.array_equal(train.points[:100], grid.points[:100])  # independent splits


def test_loading_rules() -> None:
    with pytest.raises(DataError, match="2D point dataset"):
        load_dataset("ring8")
    with pytest.raises(DataError, match="image dataset"):
        load_points("mnist")
    with pytest.raises(DataError, match="no split 'val'"):
        load_points("ring8", "val")
    data = DeviceDataset(load_points("ring8"), "cpu", seed=0)
    x, y = data.batch(3, 64)
    assert x.shape == (64, 2) and y is not None and y.shape == (64,)
