"""Image-folder datasets built from real MNIST digits written as PNG / JPEG files."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.data import ImageArray, load_dataset
from ganforge.data.folder import list_images
from ganforge.errors import DataError

N_PNG = 24


@pytest.fixture
def digit_folder(tmp_path: Path, mnist_test: ImageArray) -> tuple[Path, np.ndarray]:
    """24 MNIST test digits as PNG in nested folders; returns the root and the digits in load order."""
    root = tmp_path / "digits"
    for i in range(N_PNG):
        sub = root / f"class_{mnist_test.labels[i] if mnist_test.labels is not None else 0}" / ("deep" if i % 3 else "")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(mnist_test.images[i, :, :, 0]).save(sub / f"digit_{i:03d}.png")
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"macOS resource fork, not a PNG")
    # The loader sorts by relative path; recover each file's digit index from its name.
    order = [int(p.stem.split("_")[1]) for p in list_images(root)]
    return root, mnist_test.images[order, :, :, 0]


def test_listing_is_sorted_recursive_and_skips_hidden_and_other_files(digit_folder: tuple[Path, np.ndarray]) -> None:
    root, _ = digit_folder
    paths = list_images(root)
    assert len(paths) == N_PNG
    relative = [p.relative_to(root).as_posix() for p in paths]
    assert relative == sorted(relative)
    assert any("/deep/" in r for r in relative) and not any(r.startswith(".") or "/." in r for r in relative)


def test_png_round_trip_is_exact(digit_folder: tuple[Path, np.ndarray]) -> None:
    root, digits = digit_folder
    gray = load_dataset("folder", path=str(root), channels=1, resolution=28)
    assert gray.images.shape == (N_PNG, 28, 28, 1)
    np.testing.assert_array_equal(gray.images[..., 0], digits)
    assert gray.name == f"folder:{root.absolute()}"
    assert load_dataset("folder", path=str(root), channels=1, resolution=28, classes="none").labels is None
    rgb = load_dataset("folder", path=str(root), channels=3, resolution=28)
    for c in range(3):
        np.testing.assert_array_equal(rgb.images[..., c], digits)


def test_resize_and_defaults(digit_folder: tuple[Path, np.ndarray]) -> None:
    root, digits = digit_folder
    up = load_dataset("folder", path=str(root), channels=1, resolution=32)
    expected = np.asarray(Image.fromarray(digits[0]).resize((32, 32), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(up.images[0, :, :, 0], expected)
    default = load_dataset("folder", path=str(root))
    assert default.images.shape == (N_PNG, 64, 64, 3)  # resolution None -> 64, channels None -> 3
    # Enlarging keeps the overall brightness of the digits.
    assert default.images.mean() == pytest.approx(digits.mean(), rel=0.05)


def test_jpeg_files_load_close_to_the_original(tmp_path: Path, mnist_test: ImageArray) -> None:
    for i in range(8):
        Image.fromarray(mnist_test.images[i, :, :, 0]).save(tmp_path / f"{i}.JPG", quality=95)
    loaded = load_dataset("folder", path=str(tmp_path), channels=1, resolution=28)
    assert loaded.images.shape == (8, 28, 28, 1)
    error = np.abs(loaded.images.astype(int) - mnist_test.images[:8].astype(int))
    assert error.mean() < 4.0  # lossy, but the digits survive


def test_non_square_images_are_center_cropped(tmp_path: Path) -> None:
    strip = np.zeros((20, 60, 3), dtype=np.uint8)
    strip[:, :20, 0] = 255  # red | green | blue
    strip[:, 20:40, 1] = 255
    strip[:, 40:, 2] = 255
    Image.fromarray(strip).save(tmp_path / "wide.png")
    Image.fromarray(strip.transpose(1, 0, 2).copy()).save(tmp_path / "tall.png")
    loaded = load_dataset("folder", path=str(tmp_path), resolution=10)
    assert loaded.images.shape == (2, 10, 10, 3)
    assert (loaded.images == np.array([0, 255, 0], dtype=np.uint8)).all()  # only the green middle remains


def test_exif_orientation_is_applied_before_cropping(tmp_path: Path) -> None:
    stored = np.zeros((20, 40), dtype=np.uint8)  # [H, W]: stored sideways, as a phone camera writes it
    stored[:5] = 255  # white band along the stored top edge
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display -> the band shows on the right
    Image.fromarray(stored).save(tmp_path / "a_phone.jpg", quality=95, exif=exif)
    upright = Image.fromarray(stored).transpose(Image.Transpose.ROTATE_270)  # 90 degrees clockwise, by hand
    Image.fromarray(np.asarray(upright)).save(tmp_path / "b_upright.jpg", quality=95)
    loaded = load_dataset("folder", path=str(tmp_path), channels=1, resolution=20).images[..., 0].astype(int)
    phone, by_hand = loaded
    assert phone[:, 16:].mean() > 200 and phone[:, :14].mean() < 40  # upright: the band is on the right, ...
    assert phone[:4, :14].mean() < 40  # ... not along the top (a center crop of the sideways image keeps it there)
    assert np.abs(phone - by_hand).mean() < 4.0  # same as rotating by hand, up to JPEG error


def test_grayscale_conversion_and_16_bit_images(tmp_path: Path) -> None:
    Image.fromarray(np.full((8, 8, 3), (200, 100, 50), dtype=np.uint8)).save(tmp_path / "a_rgb.png")
    Image.fromarray(np.full((8, 8), 65535 // 2, dtype=np.uint16)).save(tmp_path / "b_16bit.png")
    loaded = load_dataset("folder", path=str(tmp_path), channels=1, resolution=8)
    assert loaded.images[0].max() == loaded.images[0].min() == round(200 * 0.299 + 100 * 0.587 + 50 * 0.114)
    assert loaded.images[1].max() == loaded.images[1].min() == 127  # scaled from 16 bit, not clipped to 255


def test_corrupt_image_raises_with_its_path(digit_folder: tuple[Path, np.ndarray]) -> None:
    root, _ = digit_folder
    bad = root / "class_7" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match=r"data\.skip_bad=true") as info:
        load_dataset("folder", path=str(root))
    assert str(bad) in str(info.value)


def test_skip_bad_skips_and_logs_the_count(
    digit_folder: tuple[Path, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    root, digits = digit_folder
    (root / "zz_garbage.png").write_bytes(b"not an image at all")
    first_png = next(root.rglob("digit_*.png"))
    truncated = root / "zz_truncated.png"
    truncated.write_bytes(first_png.read_bytes()[:60])
    with caplog.at_level(logging.WARNING, logger="ganforge.data.folder"):
        loaded = load_dataset("folder", path=str(root), channels=1, resolution=28, skip_bad=True)
    assert loaded.images.shape[0] == N_PNG
    np.testing.assert_array_equal(loaded.images[..., 0], digits)
    assert "skipped 2 unreadable image(s)" in caplog.text


def test_empty_missing_or_unset_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"no images found under .*; supported extensions are \.png, \.jpg"):
        load_dataset("folder", path=str(tmp_path))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("folder", path=str(tmp_path / "missing"))
    with pytest.raises(DataError, match="needs path="):
        load_dataset("folder")


def _count_in_thread(root: Path, **kwargs: int) -> list[Path]:
    """``list_images(root)`` in a daemon thread: a listing that never ends fails the test instead of hanging it."""
    result: list[list[Path]] = []
    thread = threading.Thread(target=lambda: result.append(list_images(root, **kwargs)), daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert result, f"listing {root} did not finish"
    return result[0]


def test_a_link_back_into_the_tree_lists_every_image_once(
    digit_folder: tuple[Path, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    root, digits = digit_folder
    (root / "class_7" / "up").symlink_to(root, target_is_directory=True)  # class_7/up/class_7/up/... forever
    with caplog.at_level(logging.WARNING, logger="ganforge.data.folder"):
        paths = _count_in_thread(root)
        loaded = load_dataset("folder", path=str(root), channels=1, resolution=28)
    assert len(paths) == N_PNG  # was 24 * 41: one copy per level until the OS gave up (ELOOP)
    assert not any("/up/" in p.as_posix() for p in paths)
    np.testing.assert_array_equal(loaded.images[..., 0], digits)  # the same images, in the same order
    assert f"skipping folder link {root / 'class_7' / 'up'}: it points back to {root}" in caplog.text


def test_two_loop_links_finish_and_are_both_reported(
    digit_folder: tuple[Path, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    root, _ = digit_folder
    (root / "loop_a").symlink_to(".", target_is_directory=True)  # relative links, as `ln -s . loop_a` makes
    (root / "class_7" / "loop_b").symlink_to("..", target_is_directory=True)
    with caplog.at_level(logging.WARNING, logger="ganforge.data.folder"):
        paths = _count_in_thread(root)  # was 2^40 walks: it never finished
    assert len(paths) == N_PNG
    loops = [r.getMessage() for r in caplog.records if "a loop" in r.getMessage()]
    assert len(loops) == 2
    assert any(str(root / "loop_a") in m for m in loops) and any(str(root / "class_7" / "loop_b") in m for m in loops)


def test_linked_files_and_folders_are_read_once(digit_folder: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    root, digits = digit_folder
    real = sorted(root.rglob("digit_*.png"))
    (root / "aa_link.png").symlink_to(real[0])  # a link to an image of the tree, sorting before it
    (root / "aa_folder").symlink_to(real[0].parent, target_is_directory=True)  # a second path to a folder
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.fromarray(digits[0]).save(outside / "extra.png")
    (root / "zz_outside.png").symlink_to(outside / "extra.png")  # a file outside the tree: counted, once
    (root / "zz_broken.png").symlink_to(tmp_path / "gone.png")  # a broken link stays, so that reading reports it
    paths = _count_in_thread(root)
    relative = [p.relative_to(root).as_posix() for p in paths]
    assert len(paths) == N_PNG + 2
    assert "zz_outside.png" in relative and "zz_broken.png" in relative
    assert not any(r.startswith("aa_") for r in relative)  # the tree's own paths are kept, not the links'
    with pytest.raises(DataError, match=r"zz_broken\.png"):
        load_dataset("folder", path=str(root), channels=1, resolution=28)
    (root / "zz_broken.png").unlink()
    assert load_dataset("folder", path=str(root), channels=1, resolution=28).images.shape[0] == N_PNG + 1


def test_a_long_listing_logs_its_progress(
    digit_folder: tuple[Path, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    root, _ = digit_folder
    with caplog.at_level(logging.INFO, logger="ganforge.data.folder"):
        assert len(list_images(root, progress_every=10)) == N_PNG
    progress = [r.getMessage() for r in caplog.records if "so far" in r.getMessage()]
    assert progress and progress[0].startswith(f"listing images under {root}: 10 image files in")
    assert len(progress) == N_PNG // 10


def _class_tree(root: Path, mnist_test: ImageArray, classes: dict[int, str], per_class: int = 5) -> np.ndarray:
    """``per_class`` test digits of each class in ``classes`` under ``root/NAME/`` (some one folder deeper);
    returns their true MNIST labels in load order (sorted relative paths)."""
    assert mnist_test.labels is not None
    rows = []
    for digit, name in classes.items():
        for j, i in enumerate(np.flatnonzero(mnist_test.labels == digit)[:per_class]):
            sub = root / name / ("more" if j % 2 else "")
            sub.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mnist_test.images[i, :, :, 0]).save(sub / f"{i:05d}.png")
            rows.append((f"{name}/{'more/' if j % 2 else ''}{i:05d}.png", digit))
    return np.array([digit for _, digit in sorted(rows)])


def test_class_subfolders_label_the_images_in_sorted_name_order(tmp_path: Path, mnist_test: ImageArray) -> None:
    truth = _class_tree(tmp_path / "imgs", mnist_test, {7: "seven", 0: "zero", 1: "one"})
    array = load_dataset("folder", path=str(tmp_path / "imgs"), channels=1, resolution=28)
    assert array.class_names == ("one", "seven", "zero") and array.num_classes == 3
    assert array.labels is not None
    names = np.array(array.class_names)[array.labels]  # the class name of each image is its true digit's
    assert list(names) == [{7: "seven", 0: "zero", 1: "one"}[d] for d in truth]
    assert np.bincount(array.labels).tolist() == [5, 5, 5]
    # The classifier the domain metrics use agrees: the labels are those of the digits.
    from ganforge.metrics.conditional import conditioning_accuracy

    digits = np.array([1, 7, 0])[array.labels]
    assert conditioning_accuracy(array.images, digits, "mnist") == 1.0


def test_class_modes_and_their_errors(tmp_path: Path, mnist_test: ImageArray) -> None:
    root = tmp_path / "imgs"
    _class_tree(root, mnist_test, {3: "a", 4: "b"}, per_class=2)
    Image.fromarray(mnist_test.images[0, :, :, 0]).save(root / "stray.png")
    mixed = load_dataset("folder", path=str(root), channels=1, resolution=28)  # auto: an image outside the classes
    assert mixed.labels is None and mixed.class_names is None and len(mixed.images) == 5
    with pytest.raises(DataError, match=r"stray.png lies directly in .*, not in a class subfolder; move it"):
        load_dataset("folder", path=str(root), channels=1, resolution=28, classes="subfolders")
    (root / "stray.png").unlink()
    (root / "b").rename(root / "a" / "b")  # one class folder left
    assert load_dataset("folder", path=str(root), channels=1, resolution=28).labels is None
    with pytest.raises(DataError, match=r"needs at least two class subfolders under .*, found 1 \(a\)"):
        load_dataset("folder", path=str(root), channels=1, resolution=28, classes="subfolders")
    with pytest.raises(DataError, match=r"data.classes must be one of auto, subfolders, none, got 'yes'"):
        load_dataset("folder", path=str(root), classes="yes")


def test_unreadable_images_drop_out_with_their_labels(tmp_path: Path, mnist_test: ImageArray) -> None:
    root = tmp_path / "imgs"
    _class_tree(root, mnist_test, {3: "a", 4: "b"}, per_class=2)
    (root / "a" / "00000-broken.png").write_bytes(b"not a png")
    array = load_dataset("folder", path=str(root), channels=1, resolution=28, skip_bad=True)
    assert array.labels is not None and array.labels.tolist() == [0, 0, 1, 1]
