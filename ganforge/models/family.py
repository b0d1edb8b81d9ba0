"""The model-family record and the ``MODELS`` registry (filled when ``ganforge.models`` is imported)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn

from ganforge.errors import ConfigError
from ganforge.registry import Registry


@dataclass(frozen=True)
class ModelFamily:
    """A generator / discriminator pair sharing one constructor contract.

    Generators are built as ``generator(z_dim=, channels=, resolution=, width=, num_classes=)`` and
    discriminators as ``discriminator(channels=, resolution=, width=, num_classes=, spectral_norm=)``.

    Attributes:
        name: Registry name ("mlp", "dcgan", "resnet").
        generator: Generator class; ``forward(z [B, z_dim], labels [B] | None) -> [B, C, R, R]`` in [-1, 1].
        discriminator: Discriminator class; ``forward(x [B, C, R, R], labels [B] | None) -> logits [B]``.
        resolutions: Supported square resolutions R in pixels; the empty tuple means any R >= 1
            (fully-connected models).
        description: One line for listings: paper, layout, typical width.
        data_kind: ``images`` (``[B, C, R, R]``) or ``points`` (``[B, D]``, 2D mixtures).
        generator_conditionings: How a conditional generator of this family can take the label (its
            ``conditioning=`` choices: ``embed``, ``cbn``); the first is its default. Empty: it cannot.
    """

    name: str
    generator: type[nn.Module]
    discriminator: type[nn.Module]
    resolutions: tuple[int, ...]
    description: str
    data_kind: str = "images"
    generator_conditionings: tuple[str, ...] = ()

    def supports(self, resolution: int) -> bool:
        """Whether ``resolution`` (pixels, square) can be built by this family."""
        return resolution in self.resolutions if self.resolutions else resolution >= 1


MODELS: Registry[ModelFamily] = Registry("model family")


def module_config(module: nn.Module) -> dict[str, Any]:
    """The ``config`` dict (constructor arguments) of a ganforge generator / discriminator, typed.

    ``module.config`` on a value typed ``nn.Module`` type-checks as ``Tensor | Module`` (``nn.Module.__getattr__``);
    use this instead, e.g. ``module_config(G)["num_classes"]``.

    Raises:
        ConfigError: ``module`` has no ``config`` dict (not a ganforge model, or still wrapped by
            ``torch.compile`` / DDP: pass ``module._orig_mod`` / ``module.module``).
    """
    config = getattr(module, "config", None)
    if not isinstance(config, dict):
        raise ConfigError(
            f"{type(module).__name__} has no `config` dict of constructor arguments"
            " (unwrap torch.compile / DDP wrappers first: module._orig_mod / module.module)"
        )
    return config
