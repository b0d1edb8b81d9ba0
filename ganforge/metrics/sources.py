"""What ``ganforge eval`` can measure: every SOURCE kind resolved to uint8 images.

- ``mnist:test``, ``fashion-mnist:train``, ...: a dataset split (a seeded random subset when ``n`` is
  smaller than the split);
- a run directory or a ``generator/`` directory: ``n`` images generated from seed ``seed`` (EMA generator);
- a ``.npz`` file with uint8 ``images``;
- a folder of images (any nesting), read at the size most of its images have (others center-cropped and resized
  to it, as training reads a folder), in colour if any image is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.data import DATASETS, load_dataset
from ganforge.data.folder import SKIP_BAD_HINT, list_images
from ganforge.errors import DataError, GanforgeError
from ganforge.rundir import RunDir

log = logging.getLogger(__name__)

#: Datasets whose splits are addressable as ``name:split`` (and that domain / mode metrics know).
NAMED = ("mnist", "fashion-mnist", "stacked-mnist")
DEFAULT_GENERATED = 10_000


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images to measure: uint8 ``[N, H, W, C]``, a display name, the dataset they belong to (if known)."""

    images: np.ndarray
    name: str
    dataset: str | None
    real: bool

    def digest(self) -> str:
        """SHA-256 of the pixels and their shape: the content key of cached features."""
        h = hashlib.sha256(json.dumps(list(self.images.shape)).encode())
        h.update(np.ascontiguousarray(self.images).tobytes())
        return h.hexdigest()


def random_subset(images: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """``n`` of ``images`` drawn without replacement by ``seed``, in their order (all of them for ``None`` or more)."""
    if n is None or n >= len(images):
        return images
    idx = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    return images[idx]


def _dataset_of(extra: dict[str, object]) -> str | None:
    name = str(extra.get("dataset", "")).split(":", 1)[0]
    return name if name in NAMED else None


def load_source(spec: str | Path, *, n: int | None = None, seed: int = 0, device: str = "cpu") -> ImageSet:
    """Resolves ``spec`` (see the module docstring) to an :class:`ImageSet`.

    Args:
        spec: The SOURCE string or path.
        n: Number of images (generated, or a random subset of real data); ``None`` = all real images,
            10,000 generated ones.
        seed: Latent seed for generators, subset seed for real data.
        device: Where a generator runs.
    """
    text = str(spec)
    name, sep, split = text.partition(":")
    if sep and not Path(text).exists():
        if name not in DATASETS.names() or name not in NAMED:
            raise GanforgeError(
                f"{text!r}: unknown dataset {name!r}; named splits exist for {', '.join(NAMED)} "
                "(e.g. mnist:test); give a folder, .npz, run or generator/ path for other data"
            )
        source = DATASETS.get(name)
        if split not in source.splits:
            raise GanforgeError(f"{text!r}: dataset {name!r} has no split {split!r}; use {', '.join(source.splits)}")
        array = load_dataset(name, split)
        return ImageSet(random_subset(array.images, n, seed), text, name, real=True)
    path = Path(text)
    if not path.exists():
        raise GanforgeError(f"{path} does not exist; SOURCE is a dataset split (mnist:test), folder, .npz or run")
    if path.is_file():
        if path.suffix.lower() != ".npz":
            raise GanforgeError(f"{path}: a file SOURCE must be a .npz with uint8 'images'")
        array = load_dataset("npz", path=str(path))
        return ImageSet(random_subset(array.images, n, seed), str(path), None, real=True)
    from ganforge.models.io import CONFIG_NAME, complete_model_dir

    gen_dir = complete_model_dir(RunDir(path).generator) or complete_model_dir(path)
    if gen_dir is not None:
        from ganforge.sampling import generate, load_generator

        extra = json.loads((gen_dir / CONFIG_NAME).read_text()).get("extra", {})
        images, _ = generate(load_generator(gen_dir, device=device), n or DEFAULT_GENERATED, seed=seed)
        if images.ndim != 4:
            raise GanforgeError(f"{path} generates 2D points, not images; measure it with "
                                f"`ganforge bench modes2d --runs {path}`")  # fmt: skip
        return ImageSet(images, f"{path} (seed {seed})", _dataset_of(extra), real=False)
    files = list_images(path)
    if not files:
        raise GanforgeError(f"{path} holds no images (PNG/JPEG/BMP/WebP) and is not a run or generator/ directory")
    side, channels = _folder_format(path, files)
    try:
        array = load_dataset("folder", path=str(path), resolution=side, channels=channels)
    except DataError as exc:  # its advice is for training runs: eval measures every image it is given
        raise DataError(str(exc).replace(SKIP_BAD_HINT, " (eval measures every image in the folder)")) from None
    return ImageSet(random_subset(array.images, n, seed), str(path), None, real=True)


def _folder_format(root: Path, files: list[Path]) -> tuple[int, int]:
    """The side and channels a folder is measured at: the size most of its images have (the shorter side where
    that is not square: others are center-cropped and resized, as training reads a folder), 3 channels if any
    image is in colour. Reads the headers only; an unreadable file is left to the loader to name."""
    sizes: Counter[tuple[int, int]] = Counter()
    colour = False
    for f in files:
        try:
            with Image.open(f) as image:
                sizes[image.size] += 1
                colour = colour or image.mode not in ("L", "LA", "I", "I;16", "1")
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            continue
    if not sizes:
        return 1, 1  # nothing readable: load_dataset names the first bad file
    (w, h), count = sizes.most_common(1)[0]
    if len(sizes) > 1 or w != h:
        log.info("%d of %d images under %s are %dx%d; measuring all as %dx%d (center-cropped and resized)",
                 count, sum(sizes.values()), root, w, h, min(w, h), min(w, h))  # fmt: skip
    return min(w, h), 3 if colour else 1
