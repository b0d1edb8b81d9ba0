"""Argument and input validation shared by the model families (raise early, with the fix in the message)."""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from ganforge.errors import ConfigError


def check_int(name: str, value: object, minimum: int) -> int:
    """Returns ``value`` if it is an int (not a bool) >= ``minimum``; raises ConfigError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_resolution(family: str, resolution: object, supported: tuple[int, ...]) -> int:
    """Returns ``resolution`` if ``family`` supports it; raises ConfigError naming the supported ones."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution not in supported:
        options = ", ".join(str(r) for r in supported)
        raise ConfigError(f"model family {family!r} does not support resolution {resolution!r}; supported: {options}")
    return resolution


def check_latent(z: torch.Tensor, z_dim: int) -> None:
    """Checks that ``z`` is [B, z_dim] floating point."""
    if z.ndim != 2 or z.shape[1] != z_dim or not z.is_floating_point():
        raise ValueError(f"expected latent z of shape [B, {z_dim}] (float), got {tuple(z.shape)} {z.dtype}")


def check_images(x: torch.Tensor, channels: int, resolution: int) -> None:
    """Checks that ``x`` is [B, channels, resolution, resolution] floating point."""
    expected = (channels, resolution, resolution)
    if x.ndim != 4 or tuple(x.shape[1:]) != expected or not x.is_floating_point():
        raise ValueError(
            f"expected images of shape [B, {channels}, {resolution}, {resolution}] (float), "
            f"got {tuple(x.shape)} {x.dtype}"
        )


def check_labels(labels: torch.Tensor | None, num_classes: int, batch_size: int) -> None:
    """Checks ``labels`` against the model's ``num_classes``: required [B] int64 if > 0, forbidden if 0.

    The range check 0 <= label < num_classes only runs for CPU tensors outside ``torch.compile`` (on an
    accelerator it would force a host sync; the embedding lookup fails there instead).
    """
    if num_classes == 0:
        if labels is not None:
            raise ValueError("this model is unconditional (num_classes=0): do not pass labels")
        return
    if labels is None:
        raise ValueError(f"this model is class-conditional (num_classes={num_classes}): pass labels [B] (int64)")
    if labels.dtype != torch.int64 or labels.ndim != 1 or labels.shape[0] != batch_size:
        raise ValueError(f"expected labels of shape [{batch_size}] int64, got {tuple(labels.shape)} {labels.dtype}")
    if labels.device.type == "cpu" and not torch.compiler.is_compiling() and labels.numel() > 0:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(f"labels must lie in [0, {num_classes - 1}], got values in [{lo}, {hi}]")


def check_norm(family: str, norm: object, allowed: tuple[str, ...]) -> str:
    """Validates a discriminator ``norm`` choice for ``family``."""
    if norm not in allowed:
        raise ConfigError(f"{family} discriminator: norm must be one of {', '.join(allowed)}, got {norm!r}")
    return str(norm)


def check_discriminator_conditioning(family: str, conditioning: object) -> str:
    """Validates how a ``family`` discriminator sees labels (:data:`ganforge.nn.projection.CONDITIONINGS`)."""
    from ganforge.nn.projection import CONDITIONINGS

    if conditioning not in CONDITIONINGS:
        raise ConfigError(
            f"{family} discriminator: conditioning must be one of {', '.join(CONDITIONINGS)}, got {conditioning!r}"
        )
    return str(conditioning)


def check_generator_conditioning(family: str, conditioning: object, allowed: tuple[str, ...]) -> str:
    """Validates how a ``family`` generator takes labels: ``embed`` (a learned embedding joins z) or ``cbn``
    (class-conditional batch norm), as far as the family has it."""
    if conditioning not in allowed:
        raise ConfigError(
            f"{family} generator: conditioning must be one of {', '.join(allowed)}, got {conditioning!r} "
            "(embed: a label embedding joins z; cbn: class-conditional batch norm)"
        )
    return str(conditioning)


class _WithFeatures(Protocol):
    head: nn.Module

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor: ...


class AuxiliaryDiscriminator(Protocol):
    """A discriminator built with ``conditioning='auxiliary'``: one forward gives scores and class logits."""

    def scores_and_classes(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


class ScoresAndClasses:
    """``scores_and_classes`` for discriminators with ``features(x, labels)`` and a ``head`` (a ProjectionHead)."""

    def scores_and_classes(
        self: _WithFeatures, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw scores [B] and class logits [B, K] from one forward (``conditioning='auxiliary'``, ACGAN)."""
        h = self.features(x, labels)
        return self.head(h, labels), self.head.classes(h)  # type: ignore[operator]
