"""Mode metrics on Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018).

Each RGB channel of an image is classified as a digit by the shipped MNIST domain classifier
(:mod:`ganforge.metrics.domain`); the digit triple ``100·d_R + 10·d_G + d_B`` is the image's mode.

- ``modes_covered``: modes predicted for at least one image (of the 1,000);
- ``kl``: KL(mode histogram ‖ uniform) in nats, the papers' "KL";
- ``mean_confidence``: mean over images and channels of the max softmax probability.

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
    """``modes_covered`` of 1,000, ``kl`` in nats, ``mean_confidence`` in [0, 1], per-image ``modes [N]``."""

    modes_covered: int
    kl: float
    mean_confidence: float
    modes: np.ndarray

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


def stacked_mode_metrics(images: np.ndarray) -> StackedModes:
    """Modes covered, KL to uniform and mean confidence of uint8 ``[N, 28, 28, 3]`` images."""
    modes, confidence = predict_modes(images)
    hist = np.bincount(modes, minlength=NUM_MODES)
    q = hist / hist.sum()
    nz = q > 0
    return StackedModes(
        modes_covered=int(nz.sum()),
        kl=float((q[nz] * np.log(q[nz] * NUM_MODES)).sum()),
        mean_confidence=float(confidence.mean()),
        modes=modes,
    )
