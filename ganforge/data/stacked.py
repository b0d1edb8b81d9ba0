"""Stacked MNIST: three MNIST digits as the R, G and B channels of one image (1,000 modes).

The mode-collapse benchmark of VEEGAN (Srivastava et al. 2017, §5.2) and PacGAN (Lin et al. 2018, §5.2):
each image stacks three MNIST digits drawn independently and uniformly, so the data has 10³ = 1,000 equally
likely modes (digit triples). The label of an image is its mode, ``100·d_R + 10·d_G + d_B``.

The papers draw their training images at random; ganforge fixes them so every run sees the same data:

- ``train``: 100,000 images from the 60,000 MNIST training digits, indices drawn with seed 0;
- ``test``: 26,000 images (the papers' evaluation sample size) from the 10,000 MNIST test digits, seed 1.
"""

from __future__ import annotations

import numpy as np

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.mnist import load_mnist
from ganforge.data.transforms import check_target, convert_array
from ganforge.errors import DataError

#: split -> (images, index seed).
SPLIT_SIZES = {"train": (100_000, 0), "test": (26_000, 1)}
NUM_MODES = 1000


def stack_digits(digits: np.ndarray, digit_labels: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` stacked images from gray digits ``uint8 [M, H, W, 1]`` and their labels ``[M]``.

    Returns:
        ``uint8 [n, H, W, 3]`` images and ``int64 [n]`` modes ``100·d_R + 10·d_G + d_B``.
    """
    if digits.ndim != 4 or digits.shape[-1] != 1:
        raise DataError(f"stacked MNIST needs gray digits [M, H, W, 1], got {list(digits.shape)}")
    index = np.random.default_rng(seed).integers(0, len(digits), size=(n, 3))  # [n, 3]: R, G, B digit
    images = np.ascontiguousarray(digits[index, ..., 0].transpose(0, 2, 3, 1))  # [n, H, W, 3]
    modes = (digit_labels[index] * np.array([100, 10, 1])).sum(axis=1).astype(np.int64)
    return images, modes


def load_stacked_mnist(request: LoadRequest) -> ImageArray:
    """The ``request.split`` of Stacked MNIST, built from MNIST (every MNIST source option applies)."""
    check_target(request.resolution, request.channels)
    if request.channels not in (None, 3):
        raise DataError(f"stacked-mnist images are RGB (one digit per channel): data.channels must be 3, "
                        f"not {request.channels}")  # fmt: skip
    mnist = load_mnist(
        LoadRequest(
            name="mnist",
            split=request.split,
            path=request.path,
            download=request.download,
            cache_dir=request.cache_dir,
            mirrors=request.mirrors,
        )
    )
    assert mnist.labels is not None
    n, seed = SPLIT_SIZES[request.split]
    images, modes = stack_digits(mnist.images, mnist.labels, n, seed)
    if request.resolution is not None:
        images = convert_array(images, request.resolution, None)
    return ImageArray(images=images, labels=modes, num_classes=NUM_MODES, name=f"stacked-mnist:{request.split}")


STACKED_MNIST = DatasetSource(
    splits=("train", "test"),
    load=load_stacked_mnist,
    description="Stacked MNIST: 3 MNIST digits as RGB, 28x28, 1,000 modes (VEEGAN / PacGAN benchmark)",
    expects="splits train / test, built from MNIST (as the mnist source finds it): train 100,000 images from "
    "the training digits, "
    "test 26,000 from the test digits, fixed seeds; uint8 28x28x3, label = mode 100*R + 10*G + B digit",
)
