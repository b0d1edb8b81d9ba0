"""A folder of image files (any nesting) as an unlabelled dataset."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.transforms import check_target, convert_pil
from ganforge.errors import DataError

log = logging.getLogger(__name__)

#: File name endings (case-insensitive) read as images.
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
#: Side length used when ``resolution`` is None: folder images come in any size and must be stacked.
DEFAULT_RESOLUTION = 64
#: Channels used when ``channels`` is None.
DEFAULT_CHANNELS = 3
_MAX_WORKERS = 4


def list_images(root: Path) -> list[Path]:
    """All image files under ``root``, recursively, sorted by their path relative to ``root``.

    Hidden files and folders (names starting with ``"."``, e.g. macOS ``._x.png`` resource forks) are skipped.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(
            Path(dirpath, f) for f in filenames if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS)
        )
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


#: How a training run may go on past unreadable images (``ganforge eval`` measures every image: it says otherwise).
SKIP_BAD_HINT = ", or set data.skip_bad=true (skip_bad=True) to skip unreadable images"


def _decode(path: Path, resolution: int, channels: int) -> np.ndarray | Exception:
    """Decodes and converts one file; returns the exception instead of raising so the caller can count them."""
    try:
        with Image.open(path) as image:
            image.load()
            # Phone JPEGs are stored sideways with an EXIF Orientation tag: turn them upright before cropping.
            ImageOps.exif_transpose(image, in_place=True)
            return convert_pil(image, resolution, channels)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return exc


def load_folder(request: LoadRequest) -> ImageArray:
    """Loads every image under ``request.path`` (see :data:`IMAGE_EXTENSIONS`).

    Images are converted to ``channels`` (default 3) and center-cropped and resized to a square
    ``resolution`` (default :data:`DEFAULT_RESOLUTION`); see :mod:`ganforge.data.transforms`.

    Raises:
        DataError: If ``path`` is missing or holds no images, or if an image cannot be decoded and
            ``skip_bad`` is False (the message names the file).
    """
    check_target(request.resolution, request.channels)
    if request.path is None:
        raise DataError("the folder dataset needs path= (a folder of images), e.g. data.path=/data/faces")
    root = Path(request.path).expanduser().absolute()
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist or is not a folder; check data.path")
    paths = list_images(root)
    if not paths:
        raise DataError(
            f"no images found under {root}; supported extensions are {', '.join(IMAGE_EXTENSIONS)} "
            "(case-insensitive, subfolders included)"
        )
    resolution = request.resolution if request.resolution is not None else DEFAULT_RESOLUTION
    channels = request.channels if request.channels is not None else DEFAULT_CHANNELS
    workers = max(1, min(_MAX_WORKERS, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # Pillow releases the GIL while decoding
        results = list(pool.map(lambda p: _decode(p, resolution, channels), paths))
    bad = [(p, r) for p, r in zip(paths, results, strict=True) if isinstance(r, Exception)]
    if bad and not request.skip_bad:
        path, exc = bad[0]
        more = f" ({len(bad) - 1} more unreadable files)" if len(bad) > 1 else ""
        raise DataError(f"cannot read image {path}: {exc}{more}. Delete or fix it{SKIP_BAD_HINT}")
    if bad:
        log.warning("skipped %d unreadable image(s) under %s, e.g. %s", len(bad), root, bad[0][0])
    good = [r for r in results if isinstance(r, np.ndarray)]
    if not good:
        raise DataError(f"none of the {len(paths)} image files under {root} could be read")
    return ImageArray(images=np.stack(good), labels=None, num_classes=0, name=f"folder:{root}")


FOLDER = DatasetSource(
    splits=("train",),
    load=load_folder,
    description="a folder of PNG/JPEG/BMP/WebP images (path=), unlabelled",
)
