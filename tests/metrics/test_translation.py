"""PSNR, SSIM and the translation judges against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.translation import PSNR_OF_A_COPY, psnr, ssim, translation_metrics


def test_psnr_of_a_known_error() -> None:
    x = np.full((2, 16, 16, 1), 100, np.uint8)
    y = x.copy()
    y[0] += 10  # MSE 100 on the first image
    assert psnr(x[:1], y[:1]) == pytest.approx(10 * np.log10(255**2 / 100))
    assert psnr(x[1:], y[1:]) == PSNR_OF_A_COPY
    assert psnr(x, y) == pytest.approx((10 * np.log10(255**2 / 100) + PSNR_OF_A_COPY) / 2)


def test_ssim_of_constant_images_and_of_itself() -> None:
    """Constant images have no variance or covariance: SSIM = (2ab + C1) / (a² + b² + C1)."""
    a, b = 100.0, 150.0
    c1 = (0.01 * 255) ** 2
    x, y = np.full((1, 16, 16, 3), a, np.uint8), np.full((1, 16, 16, 3), b, np.uint8)
    assert ssim(x, y) == pytest.approx((2 * a * b + c1) / (a**2 + b**2 + c1))
    digits = load_dataset("mnist", "test").images[:20]
    assert ssim(digits, digits) == pytest.approx(1.0)
    assert ssim(digits, digits[::-1]) < 0.5
    with pytest.raises(GanforgeError, match="at least 11 px"):
        ssim(x[:, :8, :8], y[:, :8, :8])


def test_translation_metrics_of_the_truth_and_of_a_blank() -> None:
    test = load_dataset("edges2mnist", "test")
    b = test.images[:500, :, 32:]
    labels = test.labels[:500] if test.labels is not None else None
    truth = translation_metrics(b, b, labels=labels, dataset="mnist")
    assert truth["psnr"] == PSNR_OF_A_COPY and truth["ssim"] == pytest.approx(1.0)
    assert truth["label_preservation"] > 0.97 and truth["domain_fd"] < 3
    blank = translation_metrics(np.zeros_like(b), b, labels=labels, dataset="mnist")
    assert blank["psnr"] < 15 and blank["label_preservation"] < 0.3 and blank["domain_fd"] > 50
