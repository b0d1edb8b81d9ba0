"""What ``ganforge eval`` can measure: every SOURCE kind resolved to uint8 images.

- ``mnist:test``, ``fashion-mnist:train``, ...: a dataset split (a seeded random subset when ``n`` is
  smaller than the split);
- a run directory or a ``generator/`` directory: ``n`` images generated from seed ``seed`` (EMA generator);
- a ``.npz`` file with uint8 ``images``;
- a folder of images (any nesting), read at the size and channels of its first image.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.data import DATASETS, load_dataset
from ganforge.data.folder import list_images
from ganforge.errors import GanforgeError

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


def _subset(images: np.ndarray, n: int | None, seed: int) -> np.ndarray:
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
        return ImageSet(_subset(array.images, n, seed), text, name, real=True)
    path = Path(text)
    if not path.exists():
        raise GanforgeError(f"{path} does not exist; SOURCE is a dataset split (mnist:test), folder, .npz or run")
    if path.is_file():
        if path.suffix.lower() != ".npz":
            raise GanforgeError(f"{path}: a file SOURCE must be a .npz with uint8 'images'")
        array = load_dataset("npz", path=str(path))
        return ImageSet(_subset(array.images, n, seed), str(path), None, real=True)
    from ganforge.models.io import complete_model_dir

    gen_dir = complete_model_dir(path / "generator") or complete_model_dir(path)
    if gen_dir is not None:
        from ganforge.sampling import generate, load_generator

        extra = json.loads((gen_dir / "config.json").read_text()).get("extra", {})
        images, _ = generate(load_generator(gen_dir, device=device), n or DEFAULT_GENERATED, seed=seed)
        return ImageSet(images, f"{path} (seed {seed})", _dataset_of(extra), real=False)
    files = list_images(path)
    if not files:
        raise GanforgeError(f"{path} holds no images (PNG/JPEG/BMP/WebP) and is not a run or generator/ directory")
    with Image.open(files[0]) as first:
        side, channels = first.size, (1 if first.mode in ("L", "I;16", "1") else 3)
    if side[0] != side[1]:
        raise GanforgeError(f"{files[0]} is {side[0]}x{side[1]}; image folders are measured as square images")
    array = load_dataset("folder", path=str(path), resolution=side[0], channels=channels)
    return ImageSet(_subset(array.images, n, seed), str(path), None, real=True)
