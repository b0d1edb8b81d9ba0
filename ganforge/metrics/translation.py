"""Judges of image-to-image translation (pix2pix): the outputs ``G(A)`` against the targets ``B``.

- ``psnr``: peak signal-to-noise ratio in dB, ``10 log10(255² / MSE)`` per image over all pixels and channels
  (no border cropped), averaged over images; an exact copy counts as 100 dB.
- ``ssim``: structural similarity (Wang et al. 2004) with an 11x11 Gaussian window of σ 1.5, K1 0.01, K2 0.03,
  on every channel of the uint8 images, over the window positions inside the image ("valid", no padding),
  averaged over positions, channels and images.
- ``label_preservation``: MNIST-like outputs only: the share of ``G(A)`` the domain classifier labels as ``B``'s
  class (outputs resized to 28 px first, bilinear, as the edge tasks were built from 28 px images).
- ``domain_fd``: the domain Fréchet distance of the (resized) outputs against the real test split.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.data.transforms import convert_array
from ganforge.errors import GanforgeError

PSNR_OF_A_COPY = 100.0
_SSIM_WINDOW, _SSIM_SIGMA, _K1, _K2 = 11, 1.5, 0.01, 0.03


def _pair_check(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape != y.shape or x.dtype != np.uint8 or y.dtype != np.uint8 or x.ndim != 4:
        raise GanforgeError(f"need two uint8 [N, H, W, C] arrays of one shape, got {x.dtype} {list(x.shape)} and "
                            f"{y.dtype} {list(y.shape)}")  # fmt: skip


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    """Mean per-image PSNR (dB) of uint8 images ``x`` against ``y``."""
    _pair_check(x, y)
    mse = ((x.astype(np.float64) - y.astype(np.float64)) ** 2).reshape(len(x), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        per_image = np.where(mse == 0, PSNR_OF_A_COPY, 10 * np.log10(255.0**2 / np.maximum(mse, 1e-300)))
    return float(per_image.mean())


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of uint8 images ``x`` against ``y`` (see the module docstring)."""
    _pair_check(x, y)
    if min(x.shape[1:3]) < _SSIM_WINDOW:
        raise GanforgeError(f"SSIM needs images of at least {_SSIM_WINDOW} px, got {list(x.shape[1:3])}")
    g = torch.arange(_SSIM_WINDOW, dtype=torch.float64) - (_SSIM_WINDOW - 1) / 2
    g = torch.exp(-(g**2) / (2 * _SSIM_SIGMA**2))
    g = g / g.sum()
    window = (g[:, None] * g[None, :])[None, None]  # [1, 1, 11, 11]
    a = (
        torch.from_numpy(np.ascontiguousarray(x)).double().permute(0, 3, 1, 2).reshape(-1, 1, *x.shape[1:3])
    )  # every channel alone
    b = torch.from_numpy(np.ascontiguousarray(y)).double().permute(0, 3, 1, 2).reshape(-1, 1, *y.shape[1:3])
    mu_a, mu_b = F.conv2d(a, window), F.conv2d(b, window)
    var_a = F.conv2d(a * a, window) - mu_a**2
    var_b = F.conv2d(b * b, window) - mu_b**2
    cov = F.conv2d(a * b, window) - mu_a * mu_b
    c1, c2 = (_K1 * 255) ** 2, (_K2 * 255) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def to_domain(images: np.ndarray) -> np.ndarray:
    """Grey translation outputs at the domain classifier's 28 px (bilinear, as :mod:`ganforge.data` resizes)."""
    return convert_array(images, 28, 1)


def translation_metrics(
    outputs: np.ndarray, targets: np.ndarray, *, labels: np.ndarray | None = None, dataset: str | None = None
) -> dict[str, float]:
    """``psnr`` and ``ssim`` of ``outputs`` against ``targets``; with a ``dataset`` of the shipped domain
    classifiers (MNIST-like grey images) also ``domain_fd`` of the outputs and, with ``labels``,
    ``label_preservation`` (see the module docstring)."""
    values = {"psnr": psnr(outputs, targets), "ssim": ssim(outputs, targets)}
    if dataset is not None and outputs.shape[-1] == 1:
        from ganforge.metrics.conditional import conditioning_accuracy
        from ganforge.metrics.domain import domain_metrics

        small = to_domain(outputs)
        values["domain_fd"] = domain_metrics(small, dataset).domain_fd
        if labels is not None:
            values["label_preservation"] = conditioning_accuracy(small, labels, dataset)
    return values
