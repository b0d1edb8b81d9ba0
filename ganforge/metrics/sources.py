"""What ``ganforge eval`` can measure: every SOURCE kind resolved to uint8 images.

- ``mnist:test``, ``fashion-mnist:train``, ...: a dataset split (a seeded random subset when ``n`` is
  smaller than the split);
- a run directory or a ``generator/`` directory: ``n`` images generated from seed ``seed`` (EMA generator); a
  class-conditional generator draws every class in turn (1,000 per class unless ``n`` is given) and its images
  keep their labels;
- a ``.npz`` file with uint8 ``images`` (and its int ``labels``, if any);
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
    """Images to measure.

    Attributes:
        images: uint8 ``[N, H, W, C]`` (or float ``[N, D]`` points).
        name: Display name.
        dataset: The dataset they belong to, if known.
        real: Real data (not generated).
        labels: int64 ``[N]`` class labels, if known (a labelled split or ``.npz``; a conditional generator's
            requested classes).
        conditional: Drawn from a class-conditional generator (``labels`` are the classes asked for).
        split: The dataset split they come from (``train`` / ``test``), for real splits.
    """

    images: np.ndarray
    name: str
    dataset: str | None
    real: bool
    labels: np.ndarray | None = None
    conditional: bool = False
    split: str | None = None

    def digest(self) -> str:
        """SHA-256 of the pixels and their shape: the content key of cached features."""
        h = hashlib.sha256(json.dumps(list(self.images.shape)).encode())
        h.update(np.ascontiguousarray(self.images).tobytes())
        return h.hexdigest()


def random_subset(images: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """``n`` of ``images`` drawn without replacement by ``seed``, in their order (all of them for ``None`` or more)."""
    return images[_subset_index(len(images), n, seed)]


def _subset_index(total: int, n: int | None, seed: int) -> slice | np.ndarray:
    if n is None or n >= total:
        return slice(None)
    return np.sort(np.random.default_rng(seed).choice(total, n, replace=False))


def _labelled_subset(
    images: np.ndarray, labels: np.ndarray | None, n: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`random_subset` of images and their labels (the same draw)."""
    idx = _subset_index(len(images), n, seed)
    return images[idx], (None if labels is None else np.asarray(labels, dtype=np.int64)[idx])


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
        images, labels = _labelled_subset(array.images, array.labels, n, seed)
        return ImageSet(images, text, name, real=True, labels=labels, split=split)
    path = Path(text)
    if not path.exists():
        raise GanforgeError(f"{path} does not exist; SOURCE is a dataset split (mnist:test), folder, .npz or run")
    if path.is_file():
        if path.suffix.lower() != ".npz":
            raise GanforgeError(f"{path}: a file SOURCE must be a .npz with uint8 'images'")
        array = load_dataset("npz", path=str(path))
        images, labels = _labelled_subset(array.images, array.labels, n, seed)
        return ImageSet(images, str(path), None, real=True, labels=labels)
    from ganforge.models.io import CONFIG_NAME, complete_model_dir

    gen_dir = complete_model_dir(RunDir(path).generator) or complete_model_dir(path)
    if gen_dir is not None:
        from ganforge.metrics.conditional import PER_CLASS
        from ganforge.models import module_config
        from ganforge.sampling import generate, load_generator

        extra = json.loads((gen_dir / CONFIG_NAME).read_text()).get("extra", {})
        generator = load_generator(gen_dir, device=device)
        num_classes = int(module_config(generator).get("num_classes", 0))
        default = PER_CLASS * num_classes if num_classes else DEFAULT_GENERATED
        images, labels = generate(generator, n or default, seed=seed)  # a conditional G: classes in turn
        if images.ndim != 4:
            raise GanforgeError(f"{path} generates 2D points, not images; measure it with "
                                f"`ganforge bench modes2d --runs {path}`")  # fmt: skip
        name = f"{path} (seed {seed})"
        return ImageSet(images, name, _dataset_of(extra), real=False, labels=labels, conditional=labels is not None)
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
