"""The mode-collapse alarm: silent on balanced histograms, a readable message naming what collapsed."""

import numpy as np
import pytest
import torch

from ganforge.data import load_dataset
from ganforge.metrics import inception
from ganforge.metrics.monitor import GeneratorMonitor, collapse_alarm
from ganforge.metrics.sources import random_subset
from ganforge.models import MODELS


def test_collapse_alarm_names_what_collapsed() -> None:
    assert collapse_alarm({"classes_covered": 10, "class_kl": 0.01}, 10, 0.3) is None
    assert collapse_alarm({"domain_fd": 3.0}, 10, 0.3) is None  # nothing to judge
    message = collapse_alarm({"classes_covered": 7, "class_kl": 0.05}, 10, 0.3)
    assert message is not None and "covers 7 of 10 classes" in message and "recipe.r1_gamma" in message
    assert "KL(class histogram || uniform) = 0.050" in message
    message = collapse_alarm({"modes_covered": 1000, "mode_kl": 0.31}, 1000, 0.3)
    assert message is not None and "1000 of 1000 modes" in message
    assert "KL(mode histogram || uniform) = 0.310" in message
    message = collapse_alarm({"modes_captured": 8, "reverse_kl": 0.0}, 8, 0.3)
    assert message is None
    assert collapse_alarm({"modes_captured": 7, "reverse_kl": 0.0}, 8, 0.3) is not None  # one of 8 missing


def test_collapse_alarm_tolerates_chance_misses_among_many_modes() -> None:
    """Up to 1% of 1,000 modes may go unseen in a finite sample; more is collapse."""
    assert collapse_alarm({"modes_covered": 998, "mode_kl": 0.1}, 1000, 0.3) is None
    assert collapse_alarm({"modes_covered": 990, "mode_kl": 0.1}, 1000, 0.3) is None
    message = collapse_alarm({"modes_covered": 989, "mode_kl": 0.1}, 1000, 0.3)
    assert message is not None and "covers 989 of 1000 modes" in message


def test_in_training_fid_reference_is_the_seeded_subset_eval_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference of in-training FID: the images `ganforge eval --n N` draws (seed 0), not the first N."""

    class PixelFeatures:  # the pixels as features: which reference images were used shows in their mean
        def __init__(self, variant: str) -> None:
            pass

        def __call__(self, images: np.ndarray) -> np.ndarray:
            return images.reshape(len(images), -1)[:, ::28].astype(np.float64)

    monkeypatch.setattr(inception, "InceptionFeatures", PixelFeatures)
    reference = load_dataset("mnist", "test")
    monitor = GeneratorMonitor(reference, dataset=None, samples=0, inception_samples=300, seed=0)
    torch.manual_seed(0)
    values = monitor(MODELS.get("mlp").generator(z_dim=8, channels=1, resolution=28, width=8, num_classes=0))
    drawn = PixelFeatures("fp32")(random_subset(reference.images, 300, seed=0)).mean(axis=0)
    first = PixelFeatures("fp32")(reference.images[:300]).mean(axis=0)
    assert monitor._inception_ref is not None and np.allclose(monitor._inception_ref.mu, drawn)
    assert not np.allclose(drawn, first) and values["fid"] > 0
