"""The in-memory dataset type and the contract every dataset source implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ganforge.errors import DataError

if TYPE_CHECKING:
    from ganforge.data.points import PointArray


@dataclass(frozen=True, eq=False)
class ImageArray:
    """A whole image dataset held in host memory.

    Args:
        images: ``uint8 [N, H, W, C]`` pixels, ``C`` is 1 (grayscale) or 3 (RGB).
        labels: ``int64 [N]`` class indices in ``[0, num_classes)``, or ``None`` when unlabelled.
        num_classes: Number of classes; ``0`` exactly when ``labels`` is ``None``.
        name: Where the data came from, e.g. ``"mnist:train"`` or ``"folder:/abs/path"``.
        class_names: The name of each class (a folder's class subfolders), when the source has names.

    Frozen (fields cannot be reassigned) and compared by identity (``eq=False``): arrays have no single truth
    value, so compare ``images`` / ``labels`` with ``np.array_equal``.

    Raises:
        DataError: If the arrays break the contract above.
    """

    images: np.ndarray
    labels: np.ndarray | None
    num_classes: int
    name: str
    class_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        images = self.images
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
            got = f"{images.dtype} {list(images.shape)}" if isinstance(images, np.ndarray) else type(images).__name__
            raise DataError(f"{self.name}: images must be a uint8 array [N, H, W, C], got {got}")
        if images.shape[-1] not in (1, 3):
            raise DataError(f"{self.name}: images must have 1 or 3 channels (last axis), got {images.shape[-1]}")
        if images.shape[0] == 0:
            raise DataError(f"{self.name}: the dataset holds no images")
        labels = self.labels
        if labels is None:
            if self.num_classes != 0:
                raise DataError(f"{self.name}: num_classes must be 0 for an unlabelled dataset, got {self.num_classes}")
            return
        if labels.dtype != np.int64 or labels.shape != images.shape[:1]:
            raise DataError(
                f"{self.name}: labels must be int64 [{images.shape[0]}] (one per image), "
                f"got {labels.dtype} {list(labels.shape)}"
            )
        if self.num_classes < 1:
            raise DataError(f"{self.name}: a labelled dataset needs num_classes >= 1, got {self.num_classes}")
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= self.num_classes:
            raise DataError(
                f"{self.name}: labels must lie in [0, {self.num_classes}), found values from {low} to {high}"
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def resolution(self) -> tuple[int, int]:
        """``(height, width)`` of every image."""
        return int(self.images.shape[1]), int(self.images.shape[2])

    @property
    def channels(self) -> int:
        """1 for grayscale, 3 for RGB."""
        return int(self.images.shape[3])


@dataclass(frozen=True)
class LoadRequest:
    """What :func:`ganforge.data.load_dataset` asks of a source; see it for the meaning of each field."""

    name: str
    split: str
    path: str | None = None
    resolution: int | None = None
    channels: int | None = None
    skip_bad: bool = False
    download: bool = False
    classes: str = "auto"
    direction: str = "AtoB"
    cache_dir: str | None = None
    mirrors: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DatasetSource:
    """One entry of the dataset registry.

    Args:
        splits: The split names this source accepts (checked before ``load`` runs).
        load: Builds the dataset, applying ``resolution`` / ``channels`` itself.
        description: One line shown in listings and error messages.
        kind: ``images`` (``load`` returns an :class:`ImageArray`), ``pairs`` (an ImageArray of A|B pairs side
            by side, :mod:`ganforge.data.paired`) or ``points`` (a ``PointArray``).
        expects: What the source reads and where from (files, keys, shapes, dtypes, layout), for
            ``ganforge datasets``.
    """

    splits: tuple[str, ...]
    load: Callable[[LoadRequest], ImageArray | PointArray]
    description: str
    kind: str = "images"
    expects: str = ""
