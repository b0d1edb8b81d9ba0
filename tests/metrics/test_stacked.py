"""Stacked-MNIST mode metrics: the per-channel classifier on real stacks, histograms known by construction."""

import numpy as np
import pytest

from ganforge.data import load_dataset
from ganforge.data.stacked import stack_digits
from ganforge.metrics.stacked import mode_statistics, predict_modes, stacked_mode_metrics


@pytest.fixture(scope="module")
def stacked() -> tuple[np.ndarray, np.ndarray]:
    array = load_dataset("stacked-mnist", "test")
    assert array.labels is not None
    return array.images[:3000], array.labels[:3000]


def test_modes_of_real_stacks_match_their_labels(stacked: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = stacked
    modes, confidence = predict_modes(images)
    assert (modes == labels).mean() > 0.97  # ≈ 0.9967³ with the 99.67% classifier
    assert confidence.shape == (3000, 3) and 0.9 < confidence.mean() <= 1


def test_one_mode_only_gives_log_1000() -> None:
    mnist = load_dataset("mnist", "test")
    assert mnist.labels is not None
    keep = np.isin(mnist.labels, [1])[:2000]
    ones = mnist.images[:2000][keep]
    images, _ = stack_digits(ones, np.ones(len(ones), np.int64), n=300, seed=0)  # every image is "111"
    m = stacked_mode_metrics(images)
    assert m.modes_covered <= 3 and np.bincount(m.modes).argmax() == 111
    q = np.bincount(m.modes) / len(m.modes)
    q = q[q > 0]
    assert m.kl == pytest.approx(float((q * np.log(q * 1000)).sum()))
    assert m.kl > np.log(1000) - 0.2


def test_real_stacks_cover_many_modes_with_a_small_kl(stacked: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = stacked
    m = stacked_mode_metrics(images)
    truth = np.bincount(labels, minlength=1000)
    assert abs(m.modes_covered - (truth > 0).sum()) <= 15  # 3,000 draws of 1,000 modes cover ~950
    assert m.as_dict()["modes_covered"] == m.modes_covered


def test_wrong_images_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[N, 28, 28, 3\]"):
        predict_modes(np.zeros((2, 28, 28, 1), np.uint8))


def test_kl_splits_into_channels_plus_dependence_known_by_construction() -> None:
    grid = np.arange(100)  # R always 0, (G, B) uniform over all 100 pairs: joint = uniform on 100 of 1000 modes
    covered, kl, (r, g, b) = mode_statistics(np.tile(grid, 5))
    assert covered == 100 and kl == pytest.approx(np.log(10)) and r == pytest.approx(np.log(10))
    assert g == pytest.approx(0, abs=1e-12) and b == pytest.approx(0, abs=1e-12)
    same = 111 * np.arange(10)  # "000", "111", ..., "999": every channel uniform, the digits fully dependent
    covered, kl, channels = mode_statistics(np.repeat(same, 7))
    assert covered == 10 and kl == pytest.approx(np.log(100))
    assert channels == pytest.approx((0, 0, 0), abs=1e-12)  # all of the KL is dependence: ln 1000 - ln 10
    rng = np.random.default_rng(0)  # any histogram: KL = sum of channel KLs + total correlation >= 0
    modes = rng.choice(1000, size=5000, p=rng.dirichlet(np.full(1000, 0.3)))
    covered, kl, channels = mode_statistics(modes)
    q = np.bincount(modes, minlength=1000).reshape(10, 10, 10) / len(modes)
    marg = [q.sum(axis=(1, 2)), q.sum(axis=(0, 2)), q.sum(axis=(0, 1))]
    prod = marg[0][:, None, None] * marg[1][None, :, None] * marg[2][None, None, :]
    nz = q > 0
    total_correlation = float((q[nz] * np.log(q[nz] / prod[nz])).sum())
    assert kl == pytest.approx(sum(channels) + total_correlation) and total_correlation > 0
    with pytest.raises(ValueError, match="integers in"):
        mode_statistics(np.array([1000]))


def test_stacked_metrics_report_channel_kl(stacked: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = stacked
    m = stacked_mode_metrics(images)
    for c, digits in enumerate((labels // 100, labels // 10 % 10, labels % 10)):  # the true digits of each channel
        q = np.bincount(digits, minlength=10) / len(digits)
        truth = float((q * np.log(q * 10)).sum())
        assert m.channel_kl[c] == pytest.approx(truth, abs=2e-3)  # a 99.67% classifier moves it a little
        assert 0 <= m.channel_kl[c] < 0.01  # real digits: each channel near uniform
    assert m.dependence == pytest.approx(m.kl - sum(m.channel_kl)) and m.dependence > 0.1  # 3,000 draws of 1,000
