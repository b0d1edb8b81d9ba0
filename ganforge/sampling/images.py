"""Image conversion, grids and atomic image files (numpy + Pillow; no torchvision)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.fileio import atomic_write


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """``[N, C, H, W]`` floats in [-1, 1] -> ``[N, H, W, C]`` uint8 (round to nearest, clamp).

    This is the quantisation every generated image goes through before it is saved or measured.
    """
    if images.ndim != 4:
        raise ValueError(f"expected images [N, C, H, W], got shape {tuple(images.shape)}")
    x = ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def make_grid(images: np.ndarray, nrow: int | None = None, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tiles ``[N, H, W, C]`` uint8 images into one ``[H', W', C]`` image, ``nrow`` images per row.

    Args:
        images: uint8 images.
        nrow: Images per row; ``None`` = ``ceil(sqrt(N))`` (a square grid for square N).
        padding: Pixels between images and around the border.
        pad_value: Grey level of the padding.
    """
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images [N, H, W, C], got {images.dtype} {images.shape}")
    n, h, w, c = images.shape
    if n == 0:
        raise ValueError("cannot make a grid of zero images")
    ncol = nrow or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncol)
    grid = np.full((padding + nrows * (h + padding), padding + ncol * (w + padding), c), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, ncol)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def _pil(image: np.ndarray) -> Image.Image:
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    return Image.fromarray(image)


def save_png(path: str | Path, image: np.ndarray) -> Path:
    """Writes a ``[H, W, C]`` (C = 1 or 3) or ``[H, W]`` uint8 image atomically."""
    return atomic_write(path, lambda fh: _pil(image).save(fh, format="PNG"))


def save_npz(path: str | Path, **arrays: np.ndarray) -> Path:
    """Writes arrays to ``.npz`` atomically (no pickle: ``np.load(..., allow_pickle=False)`` reads it)."""
    return atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))  # type: ignore[arg-type]
