"""Resolution and channel conversion shared by all sources (Pillow).

* Channels: 1 -> 3 repeats the gray value; 3 -> 1 uses Pillow's ``"L"`` conversion (ITU-R 601-2 luma,
  ``L = R * 299/1000 + G * 587/1000 + B * 114/1000``). Alpha is dropped, not composited. 16-bit grayscale
  images are scaled to 8 bit (``round(v * 255 / 65535)``), not clipped.
* Resolution: targets are square. A non-square image is first center-cropped to a square of its shorter
  side, then resized with LANCZOS when shrinking (anti-aliased) or BILINEAR when enlarging (no ringing).
  An image already at the target size is left untouched, so the conversion is lossless there.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ganforge.errors import DataError

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def check_target(resolution: int | None, channels: int | None) -> None:
    """Validates requested ``resolution`` / ``channels`` (``None`` means native).

    Raises:
        DataError: If ``resolution`` is not a positive int or ``channels`` is not 1 or 3.
    """
    if resolution is not None and (isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 1):
        raise DataError(f"resolution must be a positive integer (pixels per side) or None, got {resolution!r}")
    if channels is not None and channels not in (1, 3):
        raise DataError(f"channels must be 1 (grayscale), 3 (RGB) or None, got {channels!r}")


def center_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The ``(left, upper, right, lower)`` box of the largest centered square."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def resize_square(image: Image.Image, resolution: int) -> Image.Image:
    """Center-crops ``image`` to a square, then resizes it to ``resolution x resolution``."""
    width, height = image.size
    if width != height:
        image = image.crop(center_crop_box(width, height))
    side = image.size[0]
    if side == resolution:
        return image
    resample = Image.Resampling.LANCZOS if resolution < side else Image.Resampling.BILINEAR
    return image.resize((resolution, resolution), resample=resample)


def to_mode(image: Image.Image, channels: int) -> Image.Image:
    """Converts a decoded image of any Pillow mode to ``"L"`` (channels=1) or ``"RGB"`` (channels=3)."""
    if image.mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(image).astype(np.uint32)
        image = Image.fromarray(((np.clip(wide, 0, 65535) * 255 + 32767) // 65535).astype(np.uint8))
    target = "L" if channels == 1 else "RGB"
    if image.mode == target:
        return image
    if image.mode in ("P", "PA") or (image.mode == "L" and "transparency" in image.info):
        image = image.convert("RGBA")  # palette / transparency: go through RGBA, then drop alpha below
    return image.convert(target)


def convert_pil(image: Image.Image, resolution: int | None, channels: int) -> np.ndarray:
    """Converts one decoded image to ``uint8 [H, W, channels]`` at ``resolution`` (``None`` keeps its size)."""
    image = to_mode(image, channels)
    if resolution is not None:
        image = resize_square(image, resolution)
    array = np.asarray(image, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def convert_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """Converts ``uint8 [N, H, W, C]`` to ``channels`` (see the module docstring for the formulas)."""
    have = images.shape[-1]
    if have == channels:
        return images
    if channels == 3:
        return np.repeat(images, 3, axis=-1)
    n, h, w, _ = images.shape
    # Pillow converts pixel by pixel, so one tall image gives the same result as N separate ones.
    tall = Image.fromarray(np.ascontiguousarray(images.reshape(n * h, w, 3)))
    return np.asarray(tall.convert("L"), dtype=np.uint8).reshape(n, h, w, 1)


def convert_array(images: np.ndarray, resolution: int | None, channels: int | None) -> np.ndarray:
    """Converts ``uint8 [N, H, W, C]`` to the requested channels and square resolution (``None`` = native)."""
    check_target(resolution, channels)
    if channels == 3 and images.shape[-1] == 1:
        # Gray -> RGB repeats the values, which commutes with resizing: resize 1 channel instead of 3.
        return convert_channels(_resize_all(images, resolution), 3)
    if channels is not None:
        images = convert_channels(images, channels)
    return _resize_all(images, resolution)


def _resize_all(images: np.ndarray, resolution: int | None) -> np.ndarray:
    if resolution is None or images.shape[1:3] == (resolution, resolution):
        return images
    c = images.shape[-1]
    out = np.empty((images.shape[0], resolution, resolution, c), dtype=np.uint8)
    for i, image in enumerate(images):
        pil = Image.fromarray(image[:, :, 0] if c == 1 else image)  # uint8 2-D -> "L", [H, W, 3] -> "RGB"
        resized = np.asarray(resize_square(pil, resolution), dtype=np.uint8)
        out[i] = resized[:, :, None] if c == 1 else resized
    return out
