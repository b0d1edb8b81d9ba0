"""Paired images for image-to-image translation (pix2pix): each sample is an input A and its target B.

A paired dataset is an :class:`~ganforge.data.ImageArray` whose every image holds the pair side by side,
``[H, 2W, C]``: A in the left half, B in the right (after ``direction``), the layout of
pytorch-CycleGAN-and-pix2pix's aligned datasets. Labels, where there are any, are B's classes. Sources:

- ``pairs`` (``data.path=DIR``): either a folder of ``A|B`` side-by-side images (each split in the middle), or a
  folder with ``A/`` and ``B/`` subfolders whose images pair up by file name (``A/x.png`` with ``B/x.png``);
- ``edges2mnist`` / ``edges2fashion``: MNIST / Fashion-MNIST digits at 32 px (B) and their edge maps (A),
  built deterministically (:func:`edge_map`) from the split asked for.

``direction=BtoA`` swaps the halves: the model then learns B -> A.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.folder import IMAGE_EXTENSIONS, list_images
from ganforge.data.transforms import check_target, convert_array, to_mode
from ganforge.errors import DataError

log = logging.getLogger(__name__)

DIRECTIONS: tuple[str, ...] = ("AtoB", "BtoA")
#: The dataset each synthetic edge task is built from (whose domain classifier judges its outputs).
EDGES_SOURCES = {"edges2mnist": "mnist", "edges2fashion": "fashion-mnist"}
#: Side of the synthetic edge tasks: MNIST's 28 px resized to a power of two, as the U-Net needs.
EDGES_RESOLUTION = 32
#: An edge pixel: Sobel gradient magnitude of the [0, 1] image at least this (a 0 -> 1 step gives 4).
EDGE_THRESHOLD = 1.0
#: How the edge tasks are built, recorded with the run (``run.json`` ``dataset`` names the source split).
EDGES_CONSTRUCTION = (
    f"B: the split's images resized to {EDGES_RESOLUTION} px (bilinear); A: their edge map, 255 where the 3x3 "
    f"Sobel gradient magnitude of B / 255 is >= {EDGE_THRESHOLD}, else 0 (replicated borders)"
)


def split_pair(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[N, H, 2W, C]`` side-by-side pairs -> (A ``[N, H, W, C]``, B ``[N, H, W, C]``)."""
    w = images.shape[2] // 2
    return images[:, :, :w], images[:, :, w:]


def join_pair(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) ``[N, H, W, C]`` each -> side-by-side ``[N, H, 2W, C]``."""
    return np.concatenate([a, b], axis=2)


def edge_map(images: np.ndarray) -> np.ndarray:
    """uint8 ``[N, H, W, 1]`` -> their edge maps, uint8 ``[N, H, W, 1]`` of 0 / 255 (see :data:`EDGES_CONSTRUCTION`)."""
    x = images[..., 0].astype(np.float64) / 255.0
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="edge")
    gx = (p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, 1:-1, :-2] + p[:, 2:, :-2])
    gy = (p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:])
    edges = np.hypot(gx, gy) >= EDGE_THRESHOLD
    return (edges * 255).astype(np.uint8)[..., None]


def _direction(pairs: np.ndarray, direction: str) -> np.ndarray:
    if direction not in DIRECTIONS:
        raise DataError(f"data.direction must be AtoB or BtoA, got {direction!r}")
    if direction == "AtoB":
        return pairs
    a, b = split_pair(pairs)
    return join_pair(b, a)


def _edges(dataset: str) -> Callable[[LoadRequest], ImageArray]:
    def load(request: LoadRequest) -> ImageArray:
        if request.resolution not in (None, EDGES_RESOLUTION) or request.channels not in (None, 1):
            raise DataError(
                f"edges2{dataset.split('-')[0]} is built at {EDGES_RESOLUTION} px, 1 channel; leave data.resolution "
                "and data.channels unset"
            )
        pairs, labels, num_classes = _edge_task(dataset, request.split, request.path, request.download,
                                                request.cache_dir, request.mirrors)  # fmt: skip
        name = f"edges2{dataset.split('-')[0]}:{request.split}"
        labels = None if labels is None else labels.copy()
        return ImageArray(images=_direction(pairs, request.direction), labels=labels, num_classes=num_classes,
                          name=name)  # fmt: skip

    return load


@functools.lru_cache(maxsize=4)
def _edge_task(dataset: str, split: str, path: str | None, download: bool, cache_dir: str | None,
               mirrors: tuple[str, ...] | None) -> tuple[np.ndarray, np.ndarray | None, int]:  # fmt: skip
    """Read-only ``[N, 32, 64, 1]`` pairs (edges | image), labels and class count, built once per process."""
    from ganforge.data.loading import load_dataset

    source = load_dataset(dataset, split, path=path, download=download, cache_dir=cache_dir, mirrors=mirrors)
    b = convert_array(source.images, EDGES_RESOLUTION, 1)
    pairs = join_pair(edge_map(b), b)
    pairs.flags.writeable = False
    return pairs, source.labels, source.num_classes


def _read(path: Path, channels: int) -> np.ndarray:
    try:
        with Image.open(path) as image:
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            array = np.asarray(to_mode(image, channels), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError(f"cannot read image {path}: {exc}. Delete or fix it") from None
    return array[:, :, None] if array.ndim == 2 else array


def _resize(pair: np.ndarray, resolution: int | None, path: Path) -> np.ndarray:
    """One ``[H, W, C]`` half at ``resolution`` (square images only: a pair is never cropped)."""
    h, w = pair.shape[:2]
    if h != w:
        raise DataError(f"{path}: each half of a pair must be square, got {w}x{h}; crop the images first")
    if resolution is None or h == resolution:
        return pair
    return convert_array(pair[None], resolution, None)[0]


def load_pairs(request: LoadRequest) -> ImageArray:
    """The ``pairs`` source: ``A/`` + ``B/`` folders matched by name, or one folder of ``A|B`` images.

    Each half is resized to ``resolution`` (``None``: its own size, the same for every pair) and converted to
    ``channels`` (default 3).

    Raises:
        DataError: No images; an image without its partner, halves or pairs of different sizes, an odd-width
            side-by-side image, an unreadable file (each message names the file).
    """
    check_target(request.resolution, request.channels)
    if request.path is None:
        raise DataError("the pairs dataset needs data.path= (a folder of A|B images, or with A/ and B/ folders)")
    root = Path(request.path).expanduser().absolute()
    if not root.is_dir():
        raise DataError(f"pairs folder {root} does not exist or is not a folder; check data.path")
    channels = request.channels or 3
    halves: list[tuple[np.ndarray, np.ndarray, Path]] = []
    if (root / "A").is_dir() and (root / "B").is_dir():
        a_files = {p.relative_to(root / "A").with_suffix("").as_posix(): p for p in list_images(root / "A")}
        b_files = {p.relative_to(root / "B").with_suffix("").as_posix(): p for p in list_images(root / "B")}
        for missing, here, there in ((sorted(a_files.keys() - b_files.keys()), "A", "B"),
                                     (sorted(b_files.keys() - a_files.keys()), "B", "A")):  # fmt: skip
            if missing:
                files = a_files if here == "A" else b_files
                more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
                raise DataError(f"{files[missing[0]]} has no partner in {root / there}{more}: pairs match by file "
                                f"name (A/x.png with B/x.png); add it or remove the lone image")  # fmt: skip
        for key in sorted(a_files):
            a, b = _read(a_files[key], channels), _read(b_files[key], channels)
            if a.shape != b.shape:
                raise DataError(
                    f"{a_files[key]} is {a.shape[1]}x{a.shape[0]} but its partner {b_files[key]} is "
                    f"{b.shape[1]}x{b.shape[0]}; the two images of a pair must be the same size"
                )
            res = request.resolution
            halves.append((_resize(a, res, a_files[key]), _resize(b, res, b_files[key]), a_files[key]))
    else:
        for path in list_images(root):
            pair = _read(path, channels)
            if pair.shape[1] % 2:
                raise DataError(f"{path} is {pair.shape[1]} px wide; an A|B image holds two halves of equal width, "
                                "so its width must be even (or put the halves in A/ and B/ folders)")  # fmt: skip
            w, res = pair.shape[1] // 2, request.resolution
            halves.append((_resize(pair[:, :w], res, path), _resize(pair[:, w:], res, path), path))
    if not halves:
        raise DataError(f"no images found under {root}; supported extensions are {', '.join(IMAGE_EXTENSIONS)}")
    first = halves[0][0].shape
    for a, _, path in halves:
        if a.shape != first:
            raise DataError(
                f"{path} gives {a.shape[1]}x{a.shape[0]} halves but {halves[0][2]} gives {first[1]}x{first[0]}; "
                "set data.resolution to train on pairs of different sizes"
            )
    pairs = np.stack([np.concatenate([a, b], axis=1) for a, b, _ in halves])
    return ImageArray(images=_direction(pairs, request.direction), labels=None, num_classes=0, name=f"pairs:{root}")


PAIRS = DatasetSource(
    splits=("train",),
    load=load_pairs,
    description="image pairs for translation (path=): A|B side-by-side images, or A/ and B/ folders",
    expects="data.path=FOLDER holding A/ and B/ subfolders whose images pair up by file name (A/x.png with "
    "B/x.png), or else A|B images side by side (split in the middle; even width). Each half must be square; "
    "halves are resized to data.resolution (default: their size) and converted to data.channels (default 3). "
    "data.direction=BtoA learns B -> A. A lone image, a size mismatch or an unreadable file is an error naming it",
    kind="pairs",
)
EDGES2MNIST = DatasetSource(
    splits=("train", "test"),
    load=_edges("mnist"),
    description="MNIST digits at 32 px (B) and their edge maps (A), built deterministically",
    expects=f"nothing to download beyond MNIST. {EDGES_CONSTRUCTION}",
    kind="pairs",
)
EDGES2FASHION = DatasetSource(
    splits=("train", "test"),
    load=_edges("fashion-mnist"),
    description="Fashion-MNIST images at 32 px (B) and their edge maps (A), built deterministically",
    expects=f"nothing beyond Fashion-MNIST. {EDGES_CONSTRUCTION}",
    kind="pairs",
)
