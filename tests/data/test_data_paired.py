"""Paired datasets: the A|B and A/ + B/ layouts, their bad cases, direction, and the edge tasks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.data import ImageArray, load_dataset
from ganforge.data.paired import EDGE_THRESHOLD, edge_map, join_pair, split_pair
from ganforge.errors import DataError


def _digits(mnist_test: ImageArray, n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    a = mnist_test.images[:n]
    return a, 255 - a  # B: the negative of A, so the halves are told apart


def test_side_by_side_folder_splits_each_image_in_the_middle(tmp_path: Path, mnist_test: ImageArray) -> None:
    a, b = _digits(mnist_test)
    for i in range(len(a)):
        Image.fromarray(np.concatenate([a[i, :, :, 0], b[i, :, :, 0]], axis=1)).save(tmp_path / f"{i}.png")
    pairs = load_dataset("pairs", path=str(tmp_path), channels=1)
    assert pairs.images.shape == (6, 28, 56, 1) and pairs.labels is None
    got_a, got_b = split_pair(pairs.images)
    np.testing.assert_array_equal(got_a, a)
    np.testing.assert_array_equal(got_b, b)
    swapped = load_dataset("pairs", path=str(tmp_path), channels=1, direction="BtoA")
    np.testing.assert_array_equal(swapped.images, join_pair(b, a))
    resized = load_dataset("pairs", path=str(tmp_path), channels=1, resolution=32)
    assert resized.images.shape == (6, 32, 64, 1)
    (tmp_path / "odd.png").unlink(missing_ok=True)
    Image.fromarray(np.zeros((28, 57), np.uint8)).save(tmp_path / "odd.png")
    with pytest.raises(DataError, match=r"odd.png is 57 px wide; .* its width must be even"):
        load_dataset("pairs", path=str(tmp_path), channels=1)


def test_a_and_b_folders_pair_by_file_name(tmp_path: Path, mnist_test: ImageArray) -> None:
    a, b = _digits(mnist_test)
    for side, images in (("A", a), ("B", b)):
        (tmp_path / side).mkdir()
        for i in range(len(images)):
            Image.fromarray(images[i, :, :, 0]).save(tmp_path / side / f"x{i}.png")
    pairs = load_dataset("pairs", path=str(tmp_path), channels=1)
    np.testing.assert_array_equal(pairs.images, join_pair(a, b))
    rgb = load_dataset("pairs", path=str(tmp_path))  # default: 3 channels
    assert rgb.images.shape == (6, 28, 56, 3)
    Image.fromarray(a[0, :, :, 0]).save(tmp_path / "A" / "lonely.png")
    with pytest.raises(DataError, match=r"A/lonely.png has no partner in .*B: pairs match by file name"):
        load_dataset("pairs", path=str(tmp_path), channels=1)
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(tmp_path / "B" / "lonely.png")
    with pytest.raises(DataError, match=r"lonely.png is 28x28 but its partner .*lonely.png is 30x30"):
        load_dataset("pairs", path=str(tmp_path), channels=1)
    (tmp_path / "B" / "lonely.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"cannot read image .*B/lonely.png"):
        load_dataset("pairs", path=str(tmp_path), channels=1)


def test_pairs_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"needs data.path="):
        load_dataset("pairs")
    with pytest.raises(DataError, match=r"no images found under"):
        load_dataset("pairs", path=str(tmp_path))
    with pytest.raises(DataError, match=r"data.direction must be AtoB or BtoA"):
        Image.fromarray(np.zeros((8, 16), np.uint8)).save(tmp_path / "p.png")
        load_dataset("pairs", path=str(tmp_path), direction="up")


def test_edge_map_marks_steps_and_not_flat_areas() -> None:
    image = np.zeros((1, 8, 8, 1), np.uint8)
    image[0, :, 4:] = 255  # a vertical step between columns 3 and 4
    edges = edge_map(image)[0, :, :, 0]
    assert set(np.unique(edges)) == {0, 255}
    assert (edges[:, 3] == 255).all() and (edges[:, 4] == 255).all()  # Sobel magnitude 4 >= the threshold
    assert (edges[:, :2] == 0).all() and (edges[:, 6:] == 0).all()
    faint = (image // 8).astype(np.uint8)  # a step of 31/255: magnitude 0.49 < 1
    assert EDGE_THRESHOLD == 1.0 and not edge_map(faint).any()


def test_edges2mnist_pairs_digits_with_their_edges_deterministically() -> None:
    test = load_dataset("edges2mnist", "test")
    again = load_dataset("edges2mnist", "test")
    assert test.name == "edges2mnist:test" and test.images.shape == (10000, 32, 64, 1)
    np.testing.assert_array_equal(test.images, again.images)
    mnist = load_dataset("mnist", "test")
    assert mnist.labels is not None and test.labels is not None
    np.testing.assert_array_equal(test.labels, mnist.labels)
    a, b = split_pair(test.images[:50])
    np.testing.assert_array_equal(a, edge_map(b))
    assert 0.1 < (a > 0).mean() < 0.4  # outlines, not filled digits
    with pytest.raises(DataError, match=r"built at 32 px, 1 channel"):
        load_dataset("edges2mnist", "test", resolution=64)
