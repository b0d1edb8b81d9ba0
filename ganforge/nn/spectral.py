"""Spectral normalisation helpers (Miyato et al. 2018) on top of ``torch.nn.utils.parametrizations``.

The parametrization keeps the raw weight as ``parametrizations.weight.original`` and the power-iteration
vectors ``_u`` / ``_v`` as buffers, so all of it lives in ``state_dict()`` and round-trips through safetensors.
"""

from __future__ import annotations

from typing import TypeVar

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm, spectral_norm  # _SpectralNorm: to recognise it

M = TypeVar("M", bound=nn.Module)

# Layer types whose ``weight`` is spectrally normalised by :func:`apply_spectral_norm_`.
SPECTRAL_NORM_LAYERS: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def has_spectral_norm(module: nn.Module) -> bool:
    """Whether ``module.weight`` is wrapped by a (parametrization-based) spectral norm."""
    if not parametrize.is_parametrized(module, "weight"):
        return False
    return any(isinstance(p, _SpectralNorm) for p in module.parametrizations.weight)  # type: ignore[union-attr]


def apply_spectral_norm_(module: M, *, n_power_iterations: int = 1, eps: float = 1e-12) -> M:
    """Wraps the weight of every conv / linear / embedding layer in ``module`` with spectral norm, in place.

    Layers that already carry spectral norm are left alone, so calling this twice is harmless.
    Initialise weights first (see :mod:`ganforge.nn.init`).

    Args:
        module: The network (usually a discriminator) to normalise; modified in place.
        n_power_iterations: Power-iteration steps per training-mode forward pass; 1 as in Miyato et al. 2018.
        eps: Numerical floor used when normalising the power-iteration vectors.

    Returns:
        ``module``, for chaining.
    """
    if n_power_iterations < 1:
        raise ValueError(f"n_power_iterations must be >= 1, got {n_power_iterations}")
    layers = [m for m in module.modules() if isinstance(m, SPECTRAL_NORM_LAYERS) and not has_spectral_norm(m)]
    for layer in layers:
        spectral_norm(layer, n_power_iterations=n_power_iterations, eps=eps)
    return module
