"""Stacked-MNIST mode metrics: the per-channel classifier on real stacks, histograms known by construction."""

import numpy as np
import pytest

from ganforge.data import load_dataset
from ganforge.data.stacked import stack_digits
from ganforge.metrics.stacked import predict_modes, stacked_mode_metrics


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
