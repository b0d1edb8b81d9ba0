"""The dataset registry and :func:`load_dataset`, the single entry point for getting images into memory."""

from __future__ import annotations

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.folder import FOLDER
from ganforge.data.mnist import FASHION_MNIST, MNIST
from ganforge.data.npz import NPZ
from ganforge.data.paired import EDGES2FASHION, EDGES2MNIST, PAIRS
from ganforge.data.points import PointArray, load_mixture
from ganforge.data.stacked import STACKED_MNIST
from ganforge.errors import DataError
from ganforge.registry import Registry

#: Dataset name -> source. Names: "mnist", "fashion-mnist", "stacked-mnist", "folder", "npz", "ring8", "grid25".
_POINTS_EXPECT = (
    "synthetic, no files: splits train 100,000 / test 25,000 float32 [N, 2] points drawn with fixed seeds, labelled "
    "by mode; data.path, data.resolution and data.channels do not apply"
)
DATASETS: Registry[DatasetSource] = Registry("dataset")
DATASETS.add("mnist", MNIST)
DATASETS.add("fashion-mnist", FASHION_MNIST)
DATASETS.add("stacked-mnist", STACKED_MNIST)
DATASETS.add("folder", FOLDER)
DATASETS.add("npz", NPZ)
DATASETS.add("pairs", PAIRS)
DATASETS.add("edges2mnist", EDGES2MNIST)
DATASETS.add("edges2fashion", EDGES2FASHION)
for _name, _desc in (("ring8", "8 Gaussians on the unit circle, σ 0.01"), ("grid25", "5x5 grid of Gaussians, σ 0.05")):
    DATASETS.add(_name, DatasetSource(("train", "test"), load_mixture, f"2D points: {_desc}", kind="points",
                                      expects=_POINTS_EXPECT))  # fmt: skip


def _request(name: str, split: str, **kwargs: object) -> tuple[DatasetSource, LoadRequest]:
    source = DATASETS.get(name)
    if split not in source.splits:
        raise DataError(f"dataset {name!r} has no split {split!r}; valid splits: {', '.join(source.splits)}")
    return source, LoadRequest(name=name, split=split, **kwargs)  # type: ignore[arg-type]


def load_points(name: str, split: str = "train") -> PointArray:
    """Loads a 2D point dataset (``ring8``, ``grid25``) with its mixture modes.

    Raises:
        DataError: ``name`` is an image dataset (use :func:`load_dataset`) or ``split`` is unknown.
    """
    source, request = _request(name, split)
    result = source.load(request)
    if not isinstance(result, PointArray):
        raise DataError(f"{name!r} is an image dataset; use load_dataset({name!r})")
    return result


def load_dataset(
    name: str,
    split: str = "train",
    *,
    path: str | None = None,
    resolution: int | None = None,
    channels: int | None = None,
    skip_bad: bool = False,
    download: bool = False,
    classes: str = "auto",
    direction: str = "AtoB",
    cache_dir: str | None = None,
    mirrors: tuple[str, ...] | None = None,
) -> ImageArray:
    """Loads a whole dataset split into host memory, verified and converted.

    Args:
        name: Registered dataset name: ``"mnist"``, ``"fashion-mnist"``, ``"folder"`` or ``"npz"``.
        split: ``"train"`` or ``"test"`` for MNIST / Fashion-MNIST (MNIST ``train`` is the official 60k);
            only ``"train"`` for ``folder`` and ``npz``.
        path: MNIST / Fashion-MNIST: a folder holding the official IDX files (``.gz`` or uncompressed).
            ``folder``: the image folder (required). ``npz``: the ``.npz`` file (required).
        resolution: Square side length in pixels; ``None`` keeps the native size, except for ``folder``,
            where it means 64. Non-square images are center-cropped to a square first, then resized with
            LANCZOS (shrinking) or BILINEAR (enlarging).
        channels: 1 (grayscale) or 3 (RGB); ``None`` keeps the native channels, except for ``folder``,
            where it means 3.
        skip_bad: ``folder`` only: skip unreadable images (logging a warning with their count) instead of
            raising.
        download: MNIST / Fashion-MNIST: fetch missing files from the official mirrors into the cache and
            load from there. Cached files that pass their checksum are not downloaded again.
        classes: ``folder`` only: ``auto`` (the subfolders of ``path`` are classes when every image lies in one
            and there are at least two), ``subfolders`` (they must be) or ``none`` (unlabelled).
        direction: Paired datasets (``pairs``, ``edges2mnist``, ...): ``AtoB`` or ``BtoA`` (swap the halves).
        cache_dir: Cache root; files go to ``<cache_dir>/<name>/``. Default ``$GANFORGE_CACHE/datasets`` or
            ``~/.cache/ganforge/datasets``.
        mirrors: Base URLs to download from, tried in order (default: the official mirrors).

    Returns:
        The images ``uint8 [N, H, W, C]`` with labels (MNIST-like: ``int64``, 10 classes) or ``None``.

    Raises:
        UnknownNameError: If ``name`` is not registered (the message suggests close names).
        DataError: For an unknown split, missing/corrupt/truncated files, checksum mismatches, or bad
            arguments; every message names the file or path and the fix.

    Example:
        >>> mnist = load_dataset("mnist", "train", resolution=32)
        >>> mnist.images.shape
        (60000, 32, 32, 1)
    """
    source, request = _request(
        name,
        split,
        path=path,
        resolution=resolution,
        channels=channels,
        skip_bad=skip_bad,
        download=download,
        classes=classes,
        direction=direction,
        cache_dir=cache_dir,
        mirrors=tuple(mirrors) if mirrors is not None else None,
    )
    result = source.load(request)
    if not isinstance(result, ImageArray):
        raise DataError(f"{name!r} is a 2D point dataset, not images; use load_points({name!r})")
    return result
