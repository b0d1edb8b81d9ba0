"""Sampling from a generator: fixed-seed latents, batched, device-independent."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganforge.errors import GanforgeError
from ganforge.hardware import prepare_vector_math, resolve_device
from ganforge.models import module_config
from ganforge.models.io import complete_model_dir, load_pretrained
from ganforge.rundir import RunDir
from ganforge.sampling.images import to_uint8
from ganforge.seeds import MAX_DERIVED_SEED, check_seed


def latents(n: int, z_dim: int, seed: int) -> torch.Tensor:
    """``[n, z_dim]`` standard-normal latents drawn on the CPU from ``seed`` (same on every device)."""
    check_seed(seed, "seed", limit=MAX_DERIVED_SEED)  # torch's range: seeds derived from a user's seed pass
    return torch.randn(n, z_dim, generator=torch.Generator().manual_seed(seed))


def class_labels(n: int, num_classes: int) -> torch.Tensor:
    """``[n]`` labels cycling through the classes (column ``i`` of a 10-wide grid is class ``i``)."""
    return torch.arange(n) % num_classes


@torch.no_grad()
def generate(
    generator: nn.Module,
    n: int,
    *,
    seed: int = 0,
    labels: torch.Tensor | np.ndarray | Sequence[int] | None = None,
    batch_size: int = 500,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Generates ``n`` images as uint8 ``[n, H, W, C]`` (and their labels if conditional).

    A point generator (2D mixtures) gives its raw points, float32 ``[n, D]``, instead.

    Args:
        generator: A ganforge generator (``config`` holds ``z_dim`` and ``num_classes``).
        n: Number of images.
        seed: Latent seed; the same seed gives the same images.
        labels: ``[n]`` class labels for a conditional generator (a tensor, array or list of ints, e.g. the labels
            this function returned); ``None`` = cycle through the classes.
        batch_size: Images per forward pass.
    """
    if n < 1:
        raise GanforgeError(f"number of images must be >= 1, got {n}")
    if batch_size < 1:
        raise GanforgeError(f"batch_size must be >= 1, got {batch_size}")
    cfg = module_config(generator)
    if "z_dim" not in cfg:
        raise GanforgeError(
            "this generator translates images, it does not draw them from noise: use `ganforge translate RUN "
            "--input FILE|DIR --out DIR` (or ganforge.translate)"
        )
    num_classes = int(cfg.get("num_classes", 0))
    if labels is not None:
        if not num_classes:
            raise GanforgeError("labels are only for a conditional generator (model.conditional=true)")
        labels = torch.as_tensor(np.asarray(labels))
        if labels.shape != (n,) or labels.is_floating_point() or labels.is_complex():
            raise GanforgeError(f"labels must be {n} integers, one per image; got {labels.dtype} {list(labels.shape)}")
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= num_classes:
            raise GanforgeError(f"labels must be class numbers 0..{num_classes - 1}, got {low}..{high}")
        labels = labels.long()
    elif num_classes:
        labels = class_labels(n, num_classes)
    device = next(generator.parameters()).device
    # The generator's last op (tanh) runs through MKL's vector math library, on two or more threads at once for a
    # batch this size; a process whose first such call is made by two threads together can compute one half of
    # it by another code path (up to 8e-6 off), which moves the pixels lying near a rounding boundary of
    # to_uint8 one grey level (see prepare_vector_math). Training processes settle that in configure_threads;
    # sampling processes must too, or the same seed gives other bytes in some processes.
    prepare_vector_math()
    was_training = generator.training
    generator.eval()
    z = latents(n, int(cfg["z_dim"]), seed)
    out = []
    for start in range(0, n, batch_size):
        zb = z[start : start + batch_size].to(device)
        yb = labels[start : start + batch_size].to(device) if labels is not None else None
        x = generator(zb, yb)  # [B, C, H, W] in [-1, 1], or points [B, D]
        out.append(x.float().cpu().numpy() if x.ndim == 2 else to_uint8(x))
    generator.train(was_training)
    return np.concatenate(out), (labels.numpy().astype(np.int64) if labels is not None else None)


def resolve_generator_dir(source: str | Path) -> Path:
    """A run directory or a ``generator/`` directory -> the ``generator/`` directory."""
    path = Path(source)
    for candidate in (RunDir(path).generator, path):
        found = complete_model_dir(candidate)
        if found is not None:
            return found
    if not path.exists():
        raise GanforgeError(f"{path} does not exist; give a run directory or its generator/ directory")
    raise GanforgeError(
        f"{path} is neither a run directory with a finished generator/ nor a generator/ directory "
        "(config.json + model.safetensors); if the run was interrupted, resume it first"
    )


def class_names(source: str | Path) -> list[str] | None:
    """The class names a run's (or ``generator/`` directory's) data gave its classes, or ``None`` if unnamed."""
    import json

    from ganforge.models.io import CONFIG_NAME

    extra = json.loads((resolve_generator_dir(source) / CONFIG_NAME).read_text()).get("extra", {})
    names = extra.get("class_names")
    return [str(n) for n in names] if isinstance(names, list) else None


def load_generator(source: str | Path, *, device: str | torch.device = "cpu") -> nn.Module:
    """Loads the generator of a run (its EMA weights) or of a ``generator/`` directory, in eval mode, onto
    ``device`` (``auto``: CUDA when available; an unknown name or a missing CUDA is a :class:`ConfigError`)."""
    module = load_pretrained(resolve_generator_dir(source), map_location=resolve_device(str(device), "device"))
    return module.eval()
