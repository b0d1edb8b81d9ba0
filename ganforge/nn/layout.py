"""Memory-layout helpers that keep a network in one layout forward *and* backward.

Why: an elementwise backward (``leaky_relu_backward``, ``threshold_backward``) whose gradient and saved
input are in different layouts (one NCHW, one channels-last) falls off PyTorch's vectorised CPU path:
measured here 2.1 ms instead of 0.12 ms for a [64, 64, 14, 14] bf16 tensor. Such mixes arise exactly where a
network changes shape: a ``view`` of a linear projection feeding channels-last convolutions, and a
``flatten`` of channels-last features feeding a linear head.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def is_channels_last(t: Tensor) -> bool:
    """Whether a 4-d ``t`` is stored channels-last (and that layout differs from the default one)."""
    return t.ndim == 4 and t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous()


def like(x: Tensor, weight: Tensor) -> Tensor:
    """``x`` [B, C, H, W] in the layout of the convolution ``weight`` that will consume it."""
    return x.contiguous(memory_format=torch.channels_last) if is_channels_last(weight) else x


class _FlattenKeepLayout(torch.autograd.Function):
    """``x.flatten(1)`` whose gradient comes back in ``x``'s layout (not always NCHW, as ``flatten``'s does)."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        ctx.shape = x.shape
        ctx.channels_last = is_channels_last(x)
        return x.flatten(1)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        grad = grad.reshape(ctx.shape)
        return grad.contiguous(memory_format=torch.channels_last) if ctx.channels_last else grad


def flatten_features(x: Tensor) -> Tensor:
    """[B, C, H, W] -> [B, C·H·W] in NCHW order (as ``flatten(1)``), with the gradient in ``x``'s layout."""
    if not is_channels_last(x) or not torch.is_grad_enabled() or not x.requires_grad:
        return x.flatten(1)
    out: Tensor = _FlattenKeepLayout.apply(x)
    return out
