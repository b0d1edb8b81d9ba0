"""Discriminator regularisers: WGAN-GP gradient penalty, R1 penalty, WGAN weight clipping.

The penalties are pure functions returning an unscaled scalar (the caller multiplies by λ or γ/2); they
build a differentiable graph with ``torch.autograd.grad(create_graph=True)`` and never call ``backward()``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn


def gradient_penalty(
    discriminator: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP penalty E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂ (Gulrajani et al. 2017, eq. 3).

    x̂ = ε·real + (1 − ε)·fake with one ε ~ U[0, 1) per sample. Gradients flow into the discriminator's
    parameters, not into ``real`` / ``fake`` (both are detached). The norm is taken per sample over all
    non-batch dimensions, in float32 for half-precision inputs.

    Args:
        discriminator: Maps a batch shaped like ``real`` to scores [B]; wrap a conditional D as
            ``lambda x: D(x, labels)``.
        real: Real batch [B, ...] (e.g. [B, C, H, W] in [-1, 1]).
        fake: Generated batch, same shape, dtype and device as ``real``.
        generator: Random generator for ε, for reproducibility. ε is drawn on the generator's device and
            then moved to ``real``'s device, so a CPU or same-device generator both work. ``None`` uses the
            global RNG of ``real``'s device.

    Returns:
        The unscaled penalty, a scalar (multiply by λ, 10 in the paper).
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    if real.ndim < 2 or real.shape[0] == 0:
        raise ValueError(f"expected a non-empty batch [B, ...], got shape {tuple(real.shape)}")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)  # [B, 1, 1, 1]: one ε per sample
    draw_device = generator.device if generator is not None else real.device
    eps = torch.rand(shape, generator=generator, device=draw_device).to(device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)  # [B, ...]
    scores = discriminator(x_hat)  # [B]
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # [B, ...], dD/dx̂ per sample
    grad = grad.float() if grad.dtype in (torch.float16, torch.bfloat16) else grad
    norm = grad.flatten(1).norm(2, dim=1)  # [B]
    return (norm - 1.0).square().mean()


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    """R1 penalty E[‖∇ₓD(x)‖²] on real data (Mescheder et al. 2018, eq. 9).

    Args:
        real_logits: Scores D(real) [B], computed from ``real`` inside the current autograd graph.
        real: The real batch [B, ...] the scores came from; must have ``requires_grad=True``
            (``real = real.detach().requires_grad_(True)`` before calling D).

    Returns:
        The unscaled penalty, a scalar (multiply by γ/2).
    """
    if not real.requires_grad:
        raise ValueError("r1_penalty needs real.requires_grad=True: call real.requires_grad_(True) before D(real)")
    if real_logits.grad_fn is None:
        raise ValueError("real_logits has no autograd graph: compute them from `real` with gradients enabled")
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)  # [B, ...]
    grad = grad.float() if grad.dtype in (torch.float16, torch.bfloat16) else grad
    return grad.square().flatten(1).sum(dim=1).mean()


@torch.no_grad()
def clip_weights_(module: nn.Module, c: float) -> None:
    """Clamps every parameter of ``module`` to [-c, c] in place (Arjovsky et al. 2017, Algorithm 1, line 7).

    Call after each critic optimiser step. Mutates ``module``.

    Args:
        module: The critic.
        c: Clipping bound, > 0 (0.01 in the paper).
    """
    if not c > 0:
        raise ValueError(f"weight clipping bound c must be > 0, got {c}")
    for p in module.parameters():
        p.clamp_(-c, c)
