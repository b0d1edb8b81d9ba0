"""Weight initialisation schemes used by the model families.

Initialise *before* :func:`ganforge.nn.spectral.apply_spectral_norm_`: spectral norm estimates the
largest singular value of the weight it wraps, so re-initialising afterwards would leave that estimate stale.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from torch import nn

from ganforge.nn.spectral import has_spectral_norm

M = TypeVar("M", bound=nn.Module)


def _weight(module: nn.Module) -> torch.Tensor:
    """The trainable weight tensor of ``module`` (the unnormalised one if spectral norm wraps it)."""
    sn = has_spectral_norm(module)
    weight: object = module.parametrizations.weight.original if sn else module.weight  # type: ignore[union-attr]
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"{type(module).__name__} has no weight tensor to initialise")
    return weight


@torch.no_grad()
def dcgan_init_(module: M) -> M:
    """DCGAN initialisation (Radford et al. 2015, §4), in place, over all submodules.

    Conv / transposed-conv / linear weights ~ N(0, 0.02) and biases 0; BatchNorm scale ~ N(1, 0.02) and
    shift 0. Embeddings (class embeddings, projection heads) are left as their own constructors set them.

    Args:
        module: The network to initialise; modified in place.

    Returns:
        ``module``, for chaining.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(_weight(m), mean=0.0, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) and m.affine:
            nn.init.normal_(m.weight, mean=1.0, std=0.02)
            nn.init.zeros_(m.bias)
    return module


@torch.no_grad()
def xavier_init_(module: M, gain: float = 1.0) -> M:
    """Xavier-uniform initialisation of one layer's weight (Glorot & Bengio 2010), biases 0.

    SNGAN (Miyato et al. 2018) uses ``gain=sqrt(2)`` for the convolutions inside residual blocks and
    ``gain=1`` for shortcuts, the input linear layer, the output convolution and the heads.

    Args:
        module: A single conv / linear / embedding layer; modified in place.
        gain: Scale factor of the uniform bound (dimensionless); sqrt(2) suits layers followed by ReLU.

    Returns:
        ``module``, for chaining.
    """
    nn.init.xavier_uniform_(_weight(module), gain=gain)
    bias = getattr(module, "bias", None)
    if isinstance(bias, torch.Tensor):
        nn.init.zeros_(bias)
    return module
