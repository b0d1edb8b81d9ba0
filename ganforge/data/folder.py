"""A folder of image files (any nesting): unlabelled, or labelled by its class subfolders (``imgs/cat/*.png``)."""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ganforge.data.base import DatasetSource, ImageArray, LoadRequest
from ganforge.data.transforms import check_target, convert_pil
from ganforge.errors import DataError

log = logging.getLogger(__name__)

#: File name endings (case-insensitive) read as images.
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
#: Side length used when ``resolution`` is None: folder images come in any size and must be stacked.
DEFAULT_RESOLUTION = 64
#: Channels used when ``channels`` is None.
DEFAULT_CHANNELS = 3
_MAX_WORKERS = 4
#: A scan of a large tree logs its progress every this many image files ...
PROGRESS_EVERY = 10_000
#: ... and every this many seconds.
PROGRESS_SECONDS = 5.0


def list_images(root: Path, *, progress_every: int = PROGRESS_EVERY) -> list[Path]:
    """All image files under ``root``, recursively, sorted by their path relative to ``root``.

    Hidden files and folders (names starting with ``"."``, e.g. macOS ``._x.png`` resource forks) are skipped.
    Symbolic links are followed, but every file is listed once: a file reached by several paths (a link to it, a
    link to its folder) is listed under a path without links where it has one. A folder link that points back
    to a folder containing it (a loop, which would list the tree again and again) is skipped with a warning
    naming the link. A long scan logs its progress every ``progress_every`` image files and every
    :data:`PROGRESS_SECONDS` seconds.
    """
    root = Path(root)
    listed: dict[tuple[int, int], Path] = {}  # folder identity -> the path it was listed by
    # (path, identity or None where it cannot be stat'ed, reached through a link): identities settle duplicates
    files: list[tuple[Path, tuple[int, int] | None, bool]] = []
    # Folders reached without links are all listed before any reached through one, so that a link to a folder
    # of the tree finds it listed already (and is skipped), whichever of the two sorts first.
    plain = [_Folder(root, _identity(root.stat()), {}, linked=False)]
    linked: list[_Folder] = []
    loops = 0
    last_report, reported = time.monotonic(), 0
    while plain or linked:
        folder = plain.pop() if plain else linked.pop()
        if folder.key in listed:
            log.info(
                "skipping %s: the same folder as %s, whose images are listed once", folder.path, listed[folder.key]
            )
            continue
        listed[folder.key] = folder.path
        try:
            entries = sorted(os.scandir(folder.path), key=lambda e: e.name)
        except OSError as exc:
            log.warning("cannot list folder %s (%s); the images in it are skipped", folder.path, exc.strerror)
            continue
        inside = {**folder.ancestors, folder.key: folder.path}  # the folders containing this folder's entries
        subfolders: list[_Folder] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            through_link = folder.linked or entry.is_symlink()
            try:
                is_dir = entry.is_dir()  # follows links
                key = _identity(entry.stat()) if is_dir or _is_image(entry.name) else None
            except OSError:  # a broken link: listed if it looks like an image, so that reading it reports it
                is_dir, key = False, None
            if is_dir and key in inside:
                loops += 1
                log.warning(
                    "skipping folder link %s: it points back to %s, which contains it (a loop that would list the "
                    "same images again and again); remove the link or point it outside the tree",
                    path,
                    inside[key],
                )
            elif is_dir and key is not None:
                subfolders.append(_Folder(path, key, inside, linked=through_link))
            elif _is_image(entry.name):
                files.append((path, key, through_link))
                now = time.monotonic()
                if len(files) - reported >= progress_every or now - last_report >= PROGRESS_SECONDS:
                    log.info("listing images under %s: %d image files in %d folders so far", root, len(files),
                             len(listed))  # fmt: skip
                    last_report, reported = now, len(files)
        for sub in reversed(subfolders):  # depth first, in name order
            (linked if sub.linked else plain).append(sub)
    chosen: dict[tuple[int, int] | Path, Path] = {}
    for path, key, _ in sorted(files, key=lambda f: (f[2], f[0].relative_to(root).as_posix())):
        chosen.setdefault(key if key is not None else path, path)  # the first: no link on the way where possible
    found = sorted(chosen.values(), key=lambda p: p.relative_to(root).as_posix())
    if len(found) < len(files) or loops:
        log.info(
            "%s: %d image files (%d more paths led to files listed already; %d folder loops skipped)",
            root,
            len(found),
            len(files) - len(found),
            loops,
        )
    return found


@dataclass(frozen=True)
class _Folder:
    """A folder to list: its path and identity, the folders containing it on the way from the root (identity ->
    path), and whether a link was followed on the way."""

    path: Path
    key: tuple[int, int]
    ancestors: dict[tuple[int, int], Path]
    linked: bool


def _identity(st: os.stat_result) -> tuple[int, int]:
    """What makes a file or folder the same one whatever path leads to it: (device, inode)."""
    return st.st_dev, st.st_ino


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


#: ``classes=`` choices: whether the subfolders of the root are classes.
CLASS_MODES: tuple[str, ...] = ("auto", "subfolders", "none")


def folder_classes(root: Path, paths: list[Path], mode: str) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Labels ``[N]`` and class names of ``paths`` by their top-level subfolder of ``root``, or ``None`` (unlabelled).

    Classes are the subfolders' names in sorted order (class 0 is the first), as torchvision's ``ImageFolder``
    numbers them; an image in ``root/cat/2024/x.png`` belongs to ``cat``. ``mode``: ``auto`` labels the images
    when every one lies in a subfolder and there are at least two; ``subfolders`` requires that; ``none`` never
    labels them.

    Raises:
        DataError: ``mode`` is unknown, or ``subfolders`` and the layout is not one of class subfolders.
    """
    if mode not in CLASS_MODES:
        raise DataError(f"data.classes must be one of {', '.join(CLASS_MODES)}, got {mode!r}")
    if mode == "none":
        return None
    parts = [p.relative_to(root).parts for p in paths]
    stray = [p for p, part in zip(paths, parts, strict=True) if len(part) == 1]
    names = tuple(sorted({part[0] for part in parts if len(part) > 1}))
    if mode == "auto":
        if stray or len(names) < 2:
            return None
    elif stray:
        more = f" (and {len(stray) - 1} more)" if len(stray) > 1 else ""
        raise DataError(
            f"data.classes=subfolders: {stray[0]}{more} lies directly in {root}, not in a class subfolder; "
            "move it into one (imgs/cat/x.png) or set data.classes=none to train unlabelled"
        )
    elif len(names) < 2:
        raise DataError(
            f"data.classes=subfolders needs at least two class subfolders under {root}, found "
            f"{len(names)}{' (' + names[0] + ')' if names else ''}; add one or set data.classes=none"
        )
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[part[0]] for part in parts], dtype=np.int64), names


#: How a training run may go on past unreadable images (``ganforge eval`` measures every image: it says otherwise).
SKIP_BAD_HINT = ", or set data.skip_bad=true (skip_bad=True) to skip unreadable images"


def _decode(path: Path, resolution: int, channels: int) -> np.ndarray | Exception:
    """Decodes and converts one file; returns the exception instead of raising so the caller can count them."""
    try:
        with Image.open(path) as image:
            image.load()
            # Phone JPEGs are stored sideways with an EXIF Orientation tag: turn them upright before cropping.
            ImageOps.exif_transpose(image, in_place=True)
            return convert_pil(image, resolution, channels)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return exc


def load_folder(request: LoadRequest) -> ImageArray:
    """Loads every image under ``request.path`` (see :data:`IMAGE_EXTENSIONS`), labelled by its class subfolder
    as ``request.classes`` says (:func:`folder_classes`).

    Images are converted to ``channels`` (default 3) and center-cropped and resized to a square
    ``resolution`` (default :data:`DEFAULT_RESOLUTION`); see :mod:`ganforge.data.transforms`.

    Raises:
        DataError: If ``path`` is missing or holds no images, or if an image cannot be decoded and
            ``skip_bad`` is False (the message names the file).
    """
    check_target(request.resolution, request.channels)
    if request.path is None:
        raise DataError("the folder dataset needs path= (a folder of images), e.g. data.path=/data/faces")
    root = Path(request.path).expanduser().absolute()
    if not root.is_dir():
        raise DataError(f"image folder {root} does not exist or is not a folder; check data.path")
    if request.classes not in CLASS_MODES:
        raise DataError(f"data.classes must be one of {', '.join(CLASS_MODES)}, got {request.classes!r}")
    paths = list_images(root)
    if not paths:
        raise DataError(
            f"no images found under {root}; supported extensions are {', '.join(IMAGE_EXTENSIONS)} "
            "(case-insensitive, subfolders included)"
        )
    classes = folder_classes(root, paths, request.classes)
    resolution = request.resolution if request.resolution is not None else DEFAULT_RESOLUTION
    channels = request.channels if request.channels is not None else DEFAULT_CHANNELS
    workers = max(1, min(_MAX_WORKERS, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:  # Pillow releases the GIL while decoding
        results = list(pool.map(lambda p: _decode(p, resolution, channels), paths))
    bad = [(p, r) for p, r in zip(paths, results, strict=True) if isinstance(r, Exception)]
    if bad and not request.skip_bad:
        path, exc = bad[0]
        more = f" ({len(bad) - 1} more unreadable files)" if len(bad) > 1 else ""
        raise DataError(f"cannot read image {path}: {exc}{more}. Delete or fix it{SKIP_BAD_HINT}")
    if bad:
        log.warning("skipped %d unreadable image(s) under %s, e.g. %s", len(bad), root, bad[0][0])
    good = [r for r in results if isinstance(r, np.ndarray)]
    if not good:
        raise DataError(f"none of the {len(paths)} image files under {root} could be read")
    if classes is None:
        return ImageArray(images=np.stack(good), labels=None, num_classes=0, name=f"folder:{root}")
    labels, names = classes
    kept = np.array([not isinstance(r, Exception) for r in results])
    log.info("%s: %d images in %d classes (%s)", root, len(good), len(names), ", ".join(names))
    return ImageArray(images=np.stack(good), labels=labels[kept], num_classes=len(names), name=f"folder:{root}",
                      class_names=names)  # fmt: skip


FOLDER = DatasetSource(
    splits=("train",),
    load=load_folder,
    description="a folder of PNG/JPEG/BMP/WebP images (path=), labelled by its class subfolders if it has them",
    expects=f"split train only; data.path=FOLDER: every {'/'.join(IMAGE_EXTENSIONS)} file under it (any case, any "
    "nesting, links "
    "followed, each file once; names starting with '.' skipped). Any size and mode (gray, RGB, RGBA, palette, "
    f"16-bit): converted to data.channels (default {DEFAULT_CHANNELS}; 1 = gray), EXIF rotation applied, "
    f"center-cropped to a square and resized to data.resolution (default {DEFAULT_RESOLUTION}). Classes: with "
    "data.classes=auto (the default), when every image lies in a subfolder (imgs/cat/*.png, imgs/dog/*.png) and "
    "there are two or more, each subfolder is a class (sorted by name; deeper folders belong to their top "
    "subfolder); subfolders = require that layout; none = unlabelled. An unreadable file is an error unless "
    "data.skip_bad=true",
)
