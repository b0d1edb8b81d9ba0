"""A NumPy ``.npz`` file as a dataset (loaded with ``allow_pickle=False``).

Keys: ``images`` (required) ``uint8 [N, H, W]`` or ``[N, H, W, C]`` with ``C`` in {1, 3}; ``labels``
(optional) integer ``[N]`` with values >= 0; ``num_classes`` (optional) integer scalar, default
``labels.max() + 1``. Other keys are ignored.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.transforms import check_target, convert_array
from ganforge.errors import DataError


def _images(raw: np.ndarray, path: Path) -> np.ndarray:
    if raw.dtype != np.uint8:
        hint = " (scale floats in [0, 1] with (x * 255).round().astype(np.uint8))" if raw.dtype.kind == "f" else ""
        raise DataError(f"{path}: 'images' must be uint8, got {raw.dtype}{hint}")
    if raw.ndim == 3:
        raw = raw[..., None]
    if raw.ndim != 4 or raw.shape[-1] not in (1, 3):
        raise DataError(
            f"{path}: 'images' must have shape [N, H, W] or [N, H, W, C] with C in {{1, 3}} (channels last), "
            f"got {list(raw.shape)}"
        )
    if raw.shape[0] == 0:
        raise DataError(f"{path}: 'images' holds no images")
    return raw


def _labels(raw: np.ndarray, count: int, path: Path) -> np.ndarray:
    if raw.dtype.kind not in "iu" or raw.ndim != 1:
        raise DataError(f"{path}: 'labels' must be a 1-D integer array, got {raw.dtype} {list(raw.shape)}")
    if raw.shape[0] != count:
        raise DataError(f"{path}: 'labels' has {raw.shape[0]} entries but 'images' has {count}; they must match")
    if raw.size and int(raw.min()) < 0:
        raise DataError(f"{path}: 'labels' must be >= 0, found {int(raw.min())}")
    return raw.astype(np.int64)


def load_npz(request: LoadRequest) -> ImageArray:
    """Loads ``request.path`` (see the module docstring for the expected keys).

    Raises:
        DataError: If the file is missing, not an npz, needs pickle, or its arrays have the wrong dtype/shape.
    """
    check_target(request.resolution, request.channels)
    if request.path is None:
        raise DataError("the npz dataset needs path= (an .npz file with an 'images' array)")
    path = Path(request.path).expanduser().absolute()
    if not path.is_file():
        raise DataError(f"npz file {path} does not exist; check data.path")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if "images" not in npz.files:
                raise DataError(f"{path} has no 'images' array (keys: {', '.join(npz.files) or 'none'})")
            images = _images(npz["images"], path)
            labels = _labels(npz["labels"], images.shape[0], path) if "labels" in npz.files else None
            declared = int(npz["num_classes"]) if "num_classes" in npz.files else None
    except DataError:
        raise
    except (OSError, ValueError, TypeError, zipfile.BadZipFile, EOFError) as exc:
        # ValueError also covers object arrays, which would need pickle to load.
        raise DataError(f"cannot read {path} as a NumPy .npz without pickle: {exc}") from exc
    num_classes = 0
    if labels is not None:
        num_classes = declared if declared is not None else int(labels.max()) + 1
        if int(labels.max()) >= num_classes:
            raise DataError(f"{path}: 'labels' go up to {int(labels.max())} but 'num_classes' is {num_classes}")
    images = convert_array(images, request.resolution, request.channels)
    return ImageArray(images=images, labels=labels, num_classes=num_classes, name=f"npz:{path}")


NPZ = DatasetSource(
    splits=("train",),
    load=load_npz,
    description="a NumPy .npz with uint8 'images' [N, H, W(, C)] and optional int 'labels' [N] (path=)",
    expects="split train only; data.path=FILE.npz, read without pickle: 'images' uint8 0..255, [N, H, W] or "
    "[N, H, W, C] with C 1 or 3 (channels last; floats are refused: scale [0, 1] with "
    "(x * 255).round().astype(np.uint8)); optional 'labels' integers >= 0 [N] (for model.conditional=true) and "
    "'num_classes' integer (default labels.max() + 1); other keys ignored. Resized / converted by "
    "data.resolution and data.channels when set",
)
