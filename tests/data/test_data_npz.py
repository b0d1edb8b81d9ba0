"""NumPy .npz datasets: real MNIST digits saved in each accepted layout, and each rejected one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganforge.data import ImageArray, load_dataset
from ganforge.errors import DataError

N = 200


def save(tmp_path: Path, **arrays: np.ndarray) -> str:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return str(path)


def test_images_and_labels_without_channel_axis(tmp_path: Path, mnist_test: ImageArray) -> None:
    assert mnist_test.labels is not None
    path = save(tmp_path, images=mnist_test.images[:N, :, :, 0], labels=mnist_test.labels[:N].astype(np.uint8))
    loaded = load_dataset("npz", path=path)
    np.testing.assert_array_equal(loaded.images, mnist_test.images[:N])
    assert loaded.labels is not None and loaded.labels.dtype == np.int64
    np.testing.assert_array_equal(loaded.labels, mnist_test.labels[:N])
    assert loaded.num_classes == 10  # labels.max() + 1: all ten digits occur in the first 200
    assert loaded.name == f"npz:{Path(path).absolute()}"


def test_rgb_images_without_labels_and_conversion(tmp_path: Path, mnist_test: ImageArray) -> None:
    rgb = np.repeat(mnist_test.images[:N], 3, axis=-1)
    path = save(tmp_path, images=rgb)
    loaded = load_dataset("npz", path=path)
    np.testing.assert_array_equal(loaded.images, rgb)
    assert loaded.labels is None and loaded.num_classes == 0
    gray = load_dataset("npz", path=path, channels=1, resolution=16)
    assert gray.images.shape == (N, 16, 16, 1)
    # Equal R, G, B give back the same gray value (the luma weights sum to 1).
    np.testing.assert_array_equal(load_dataset("npz", path=path, channels=1).images, mnist_test.images[:N])


def test_declared_num_classes_is_used_and_checked(tmp_path: Path, mnist_test: ImageArray) -> None:
    assert mnist_test.labels is not None
    images, labels = mnist_test.images[:N], mnist_test.labels[:N]
    assert load_dataset("npz", path=save(tmp_path, images=images, labels=labels, num_classes=12)).num_classes == 12
    with pytest.raises(DataError, match="'labels' go up to 9 but 'num_classes' is 5"):
        load_dataset("npz", path=save(tmp_path, images=images, labels=labels, num_classes=5))


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images": np.zeros((4, 8, 8), np.float32)}, r"'images' must be uint8, got float32 \(scale floats"),
        ({"images": np.zeros((4, 8, 8, 2), np.uint8)}, r"must have shape \[N, H, W\] or \[N, H, W, C\]"),
        ({"images": np.zeros((4, 8), np.uint8)}, r"got \[4, 8\]"),
        ({"images": np.zeros((0, 8, 8), np.uint8)}, "holds no images"),
        ({"images": np.zeros((4, 8, 8), np.uint8), "labels": np.zeros(3, np.int64)}, "'labels' has 3 entries"),
        ({"images": np.zeros((4, 8, 8), np.uint8), "labels": np.zeros(4, np.float32)}, "1-D integer array"),
        ({"images": np.zeros((4, 8, 8), np.uint8), "labels": np.array([0, 1, -1, 2])}, "must be >= 0"),
        ({"pixels": np.zeros((4, 8, 8), np.uint8)}, "has no 'images' array"),
        ({"images": np.array([None, 1], dtype=object)}, "without pickle"),
    ],
)
def test_bad_npz_contents_are_rejected(tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    path = save(tmp_path, **arrays)
    with pytest.raises(DataError, match=message) as info:
        load_dataset("npz", path=path)
    assert str(Path(path).absolute()) in str(info.value)


def test_missing_or_non_npz_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("npz", path=str(tmp_path / "nope.npz"))
    not_npz = tmp_path / "fake.npz"
    not_npz.write_bytes(b"plain text")
    with pytest.raises(DataError, match=r"cannot read .*fake\.npz"):
        load_dataset("npz", path=str(not_npz))
    with pytest.raises(DataError, match="needs path="):
        load_dataset("npz")
