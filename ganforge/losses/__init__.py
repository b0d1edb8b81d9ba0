"""Adversarial losses (pure functions of discriminator scores) and regularisers, registered in ``LOSSES``.

Importing this package registers ``minimax``, ``nonsaturating``, ``lsgan``, ``wgan``, ``wgan-gp`` and ``hinge``::

    from ganforge.losses import LOSSES
    spec = LOSSES.get("hinge")
    loss_d = spec.d_loss(D(real), D(fake.detach()))
"""

from __future__ import annotations

from ganforge.losses.adversarial import (
    clamp_prob,
    hinge_d_loss,
    lsgan_d_loss,
    lsgan_g_loss,
    minimax_d_loss,
    minimax_g_loss,
    nonsaturating_g_loss,
    sigmoid_prob,
    wasserstein_d_loss,
    wasserstein_g_loss,
)
from ganforge.losses.regularizers import clip_weights_, gradient_penalty, r1_penalty
from ganforge.losses.spec import LOSSES, LossSpec

__all__ = [
    "LOSSES",
    "LossSpec",
    "clamp_prob",
    "clip_weights_",
    "gradient_penalty",
    "hinge_d_loss",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "minimax_d_loss",
    "minimax_g_loss",
    "nonsaturating_g_loss",
    "r1_penalty",
    "sigmoid_prob",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
]
