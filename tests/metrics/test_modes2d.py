"""Mode metrics on point sets whose answer is known by construction."""

import numpy as np
import pytest

from ganforge.data.points import grid_modes, ring_modes
from ganforge.metrics.modes2d import mode_metrics


def test_points_on_every_mode() -> None:
    modes = ring_modes()
    points = np.repeat(modes, 10, axis=0)  # 10 exact hits on each of the 8 modes
    m = mode_metrics(points, modes, 0.01)
    assert (m.modes_captured, m.num_modes, m.high_quality) == (8, 8, 1.0)
    assert m.reverse_kl == pytest.approx(0.0, abs=1e-12)


def test_three_sigma_boundary_and_missing_modes() -> None:
    modes = grid_modes()
    std = 0.05
    inside = modes[:5] + np.array([2.9 * std, 0.0])  # within 3σ of modes 0..4
    outside = modes[5:10] + np.array([0.0, 3.1 * std])  # just outside 3σ of modes 5..9
    m = mode_metrics(np.concatenate([inside, outside]), modes, std)
    assert m.modes_captured == 5 and m.high_quality == 0.5
    # The 5 high-quality samples sit on 5 of 25 modes, uniformly: KL = sum 1/5 log((1/5) * 25) = log 5.
    assert m.reverse_kl == pytest.approx(np.log(5))


def test_collapse_to_one_mode_and_no_quality() -> None:
    modes = ring_modes()
    m = mode_metrics(np.tile(modes[3], (100, 1)), modes, 0.01)
    assert m.modes_captured == 1 and m.reverse_kl == pytest.approx(np.log(8))
    far = mode_metrics(np.zeros((50, 2)), modes, 0.01)  # the centre of the ring is far from every mode
    assert far.modes_captured == 0 and far.high_quality == 0.0 and far.reverse_kl == float("inf")


def test_uneven_histogram_by_hand() -> None:
    modes = ring_modes()
    points = np.concatenate([np.tile(modes[0], (3, 1)), np.tile(modes[1], (1, 1))])
    q = np.array([0.75, 0.25])
    assert mode_metrics(points, modes, 0.01).reverse_kl == pytest.approx(float((q * np.log(q * 8)).sum()))
    with pytest.raises(ValueError, match="need points"):
        mode_metrics(np.zeros((3, 3)), modes, 0.01)
