"""Mode metrics on Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

Each RGB channel of an image is classified as a digit by the shipped MNIST domain classifier
(:mod:`ganforge.metrics.domain`); the digit triple ``100·d_R + 10·d_G + d_B`` is the image's mode.

- ``modes_covered``: modes predicted for at least one image (of the 1,000);
- ``kl``: KL(mode histogram ‖ uniform) in nats, the papers' "KL";
- ``mean_confidence``: mean over images and channels of the max softmax probability;
- ``channel_kl``: KL(digit histogram of each channel ‖ uniform over 10), R, G, B. The joint KL splits
  exactly into their sum plus the total correlation of the three digits (``kl − Σ channel_kl`` ≥ 0), so the
  two say whether an uneven mode histogram comes from each channel's digits or from their dependence.

The papers evaluate 26,000 generated images. Even a perfect sampler has a KL above 0 on a finite sample
(≈ (K − 1) / 2N ≈ 0.019 for N = 26,000); ``ganforge bench stacked-mnist`` prints the real data's value
beside the generated one for that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganforge.metrics.domain import classify, load_classifier

NUM_MODES = 1000
PAPER_SAMPLES = 26_000


@dataclass(frozen=True)
class StackedModes:
    """``modes_covered`` of 1,000, ``kl`` in nats, ``mean_confidence`` in [0, 1], per-image ``modes [N]``,
    ``channel_kl`` (R, G, B) in nats."""

    modes_covered: int
    kl: float
    mean_confidence: float
    modes: np.ndarray
    channel_kl: tuple[float, float, float]

    @property
    def dependence(self) -> float:
        """Total correlation of the three digits (nats): :func:`dependence` of this KL and its channel KLs."""
        return dependence(self.kl, self.channel_kl)

    def as_dict(self) -> dict[str, float]:
        return {"modes_covered": float(self.modes_covered), "mode_kl": self.kl, "mean_confidence": self.mean_confidence}


def predict_modes(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Modes ``int64 [N]`` and per-channel confidences ``[N, 3]`` of uint8 ``[N, 28, 28, 3]`` images."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (28, 28, 3):
        raise ValueError(f"stacked-MNIST modes need uint8 RGB 28x28 images [N, 28, 28, 3], got {images.dtype} "
                         f"{list(images.shape)}")  # fmt: skip
    model = load_classifier("mnist")
    n = len(images)
    channels = np.ascontiguousarray(images.transpose(3, 0, 1, 2))[..., None].reshape(3 * n, 28, 28, 1)  # R, G, B
    _, probs = classify(model, channels)
    digits = probs.argmax(axis=1).reshape(3, n)  # [3, N]
    confidence = probs.max(axis=1).reshape(3, n).T  # [N, 3]
    return (100 * digits[0] + 10 * digits[1] + digits[2]).astype(np.int64), confidence


def _kl_to_uniform(values: np.ndarray, k: int) -> tuple[int, float]:
    """Distinct values hit and KL(histogram of ``values`` in [0, k) ‖ uniform over k), nats."""
    q = np.bincount(values, minlength=k) / len(values)
    nz = q > 0
    return int(nz.sum()), float((q[nz] * np.log(q[nz] * k)).sum())


def dependence(kl: float, channel_kl: tuple[float, float, float]) -> float:
    """The digits' total correlation ``kl − Σ channel_kl`` (nats, ≥ 0; rounding below 0 gives 0)."""
    return max(0.0, kl - sum(channel_kl))


def mode_statistics(modes: np.ndarray) -> tuple[int, float, tuple[float, float, float]]:
    """Modes covered, joint KL to uniform and per-channel KLs of mode indices ``100·d_R + 10·d_G + d_B`` [N]."""
    if modes.ndim != 1 or len(modes) == 0 or modes.min() < 0 or modes.max() >= NUM_MODES:
        raise ValueError(f"modes must be a non-empty [N] array of integers in [0, {NUM_MODES})")
    covered, kl = _kl_to_uniform(modes, NUM_MODES)
    digits = (modes // 100, modes // 10 % 10, modes % 10)
    r, g, b = (_kl_to_uniform(d, 10)[1] for d in digits)
    return covered, kl, (r, g, b)


def stacked_mode_metrics(images: np.ndarray) -> StackedModes:
    """Modes covered, KL to uniform (joint and per channel) and mean confidence of uint8 ``[N, 28, 28, 3]``."""
    modes, confidence = predict_modes(images)
    covered, kl, channel_kl = mode_statistics(modes)
    return StackedModes(
        modes_covered=covered,
        kl=kl,
        mean_confidence=float(confidence.mean()),
        modes=modes,
        channel_kl=channel_kl,
    )
