"""Image-to-image translation with a trained generator (pix2pix): uint8 images in, uint8 images out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from ganforge.data.folder import list_images
from ganforge.data.transforms import to_mode
from ganforge.errors import DataError, GanforgeError
from ganforge.hardware import prepare_vector_math
from ganforge.models import module_config
from ganforge.sampling.images import to_uint8


def translator_shape(generator: nn.Module) -> tuple[int, int, int]:
    """``(resolution, in_channels, out_channels)`` of a translation generator; a clear error for any other."""
    cfg = module_config(generator)
    if "in_channels" not in cfg:
        raise GanforgeError(
            "this generator draws images from noise, it does not translate them: use `ganforge sample` (or "
            "ganforge.generate) for it"
        )
    return int(cfg["resolution"]), int(cfg["in_channels"]), int(cfg["out_channels"])


@torch.no_grad()
def translate(generator: nn.Module, images: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
    """Translates uint8 ``[N, H, W, C]`` images with ``generator`` (eval mode: no dropout) -> uint8 ``[N, H, W, C']``.

    Raises:
        GanforgeError: ``generator`` does not translate images, or the images are not the size and channels it
            was trained on (they are never resized silently).
    """
    resolution, c_in, _ = translator_shape(generator)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (resolution, resolution, c_in):
        raise GanforgeError(
            f"this generator translates {resolution}x{resolution} images with {c_in} channel(s) (uint8 [N, "
            f"{resolution}, {resolution}, {c_in}]), got {images.dtype} {list(images.shape)}; resize or convert "
            "the inputs to what it was trained on"
        )
    if batch_size < 1:
        raise GanforgeError(f"batch_size must be >= 1, got {batch_size}")
    prepare_vector_math()  # the last tanh: see ganforge.sampling.generate
    device = next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size])).to(device)
        x = x.permute(0, 3, 1, 2).float().div(255.0).mul(2.0).sub(1.0)  # [B, C, H, W] in [-1, 1]
        out.append(to_uint8(generator(x)))
    generator.train(was_training)
    return np.concatenate(out)


def read_inputs(source: Path, resolution: int, channels: int) -> tuple[np.ndarray, list[Path]]:
    """The images of a file or folder as uint8 ``[N, H, W, C]`` (converted to ``channels``, never resized).

    Raises:
        DataError: Nothing to read, an unreadable file, or an image of another size (each names the file).
    """
    files = [source] if source.is_file() else list_images(source) if source.is_dir() else []
    if not source.exists():
        raise DataError(f"{source} does not exist; give an image file or a folder of images")
    if not files:
        raise DataError(f"{source} holds no images (PNG/JPEG/BMP/WebP)")
    out = []
    for path in files:
        try:
            with Image.open(path) as image:
                image.load()
                array = np.asarray(to_mode(image, channels), dtype=np.uint8)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise DataError(f"cannot read image {path}: {exc}") from None
        if array.shape[:2] != (resolution, resolution):
            raise DataError(
                f"{path} is {array.shape[1]}x{array.shape[0]}, but the generator translates {resolution}x{resolution} "
                "images; resize it first (ganforge never resizes an input silently)"
            )
        out.append(array[:, :, None] if array.ndim == 2 else array)
    return np.stack(out), files
