"""Adversarial losses as pure functions of discriminator scores, registered in ``LOSSES``.

Every function takes raw scores (logits) of any shape with at least one element, typically [B] (a
PatchGAN's [B, 1, h, w] works too: the mean is over all elements), and returns a scalar to minimise.
Half-precision scores (bf16 / fp16, e.g. under autocast) are computed in float32; float64 stays float64.
Probabilities are never formed: log D = -softplus(-l), log(1 - D) = -softplus(l) with D = sigmoid(l),
which stay finite and exact for |l| in the hundreds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.losses.spec import LOSSES, LossSpec


def _scores(x: Tensor, what: str) -> Tensor:
    """Validates scores and upcasts half precision to float32."""
    if not x.is_floating_point():
        raise ValueError(f"{what} must be a floating-point tensor of scores, got {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{what} is empty; the loss of an empty batch is undefined")
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


# --------------------------------------------------------------------------- minimax / non-saturating
def minimax_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Goodfellow et al. 2014, eq. 1: D maximises E[log D(x)] + E[log(1 - D(G(z)))]; we minimise the negative."""
    real, fake = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    # -log D(x) = softplus(-l_real);  -log(1 - D(G(z))) = softplus(l_fake)
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """Goodfellow et al. 2014, eq. 1 (saturating): G minimises E[log(1 - D(G(z)))] = E[-softplus(l_fake)]."""
    fake = _scores(fake_logits, "fake_logits")
    return -F.softplus(fake).mean()


def nonsaturating_g_loss(fake_logits: Tensor) -> Tensor:
    """Goodfellow et al. 2014, §3 (non-saturating): G maximises E[log D(G(z))]; minimise E[softplus(-l_fake)]."""
    fake = _scores(fake_logits, "fake_logits")
    return F.softplus(-fake).mean()


# --------------------------------------------------------------------------------------------- LSGAN
def lsgan_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Mao et al. 2017, eq. 2 with a=0, b=1: ½ E[(D(x) - 1)²] + ½ E[D(G(z))²]."""
    real, fake = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    return 0.5 * (real - 1.0).square().mean() + 0.5 * fake.square().mean()


def lsgan_g_loss(fake_logits: Tensor) -> Tensor:
    """Mao et al. 2017, eq. 2 with c=1: ½ E[(D(G(z)) - 1)²]."""
    fake = _scores(fake_logits, "fake_logits")
    return 0.5 * (fake - 1.0).square().mean()


# -------------------------------------------------------------------------------------- Wasserstein
def wasserstein_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Arjovsky et al. 2017, Algorithm 1: the critic maximises E[f(x)] - E[f(G(z))]; minimise E[f(G(z))] - E[f(x)]."""
    real, fake = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    return fake.mean() - real.mean()


def wasserstein_g_loss(fake_logits: Tensor) -> Tensor:
    """Arjovsky et al. 2017, Algorithm 1: G minimises -E[f(G(z))]. Also the hinge G loss (Lim & Ye 2017)."""
    fake = _scores(fake_logits, "fake_logits")
    return -fake.mean()


# -------------------------------------------------------------------------------------------- hinge
def hinge_d_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Lim & Ye 2017; Miyato et al. 2018, eq. 16: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]."""
    real, fake = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


# ------------------------------------------------------------------------------------- display maps
def sigmoid_prob(scores: Tensor) -> Tensor:
    """sigmoid(scores): D(x) for logit losses; a monotone [0, 1] display value (not a probability) otherwise."""
    return torch.sigmoid(_scores(scores, "scores"))


def clamp_prob(scores: Tensor) -> Tensor:
    """LSGAN scores (targets 0 = fake, 1 = real) clamped to [0, 1] for display."""
    return _scores(scores, "scores").clamp(0.0, 1.0)


LOSSES.add(
    "minimax",
    LossSpec(
        name="minimax",
        d_loss=minimax_d_loss,
        g_loss=minimax_g_loss,
        gradient_penalty=0.0,
        weight_clip=None,
        threshold=0.0,
        to_prob=sigmoid_prob,
        description="original saturating GAN loss (Goodfellow et al. 2014): G minimises log(1 - D(G(z)))",
    ),
)
LOSSES.add(
    "nonsaturating",
    LossSpec(
        name="nonsaturating",
        d_loss=minimax_d_loss,
        g_loss=nonsaturating_g_loss,
        gradient_penalty=0.0,
        weight_clip=None,
        threshold=0.0,
        to_prob=sigmoid_prob,
        description="non-saturating GAN loss (Goodfellow et al. 2014): G maximises log D(G(z)); the usual default",
    ),
)
LOSSES.add(
    "lsgan",
    LossSpec(
        name="lsgan",
        d_loss=lsgan_d_loss,
        g_loss=lsgan_g_loss,
        gradient_penalty=0.0,
        weight_clip=None,
        threshold=0.5,
        to_prob=clamp_prob,
        description="least-squares GAN (Mao et al. 2017), a=0, b=1, c=1",
    ),
)
LOSSES.add(
    "wgan",
    LossSpec(
        name="wgan",
        d_loss=wasserstein_d_loss,
        g_loss=wasserstein_g_loss,
        gradient_penalty=0.0,
        weight_clip=0.01,
        threshold=0.0,
        to_prob=sigmoid_prob,
        description="Wasserstein GAN with weight clipping c=0.01 (Arjovsky et al. 2017)",
    ),
)
LOSSES.add(
    "wgan-gp",
    LossSpec(
        name="wgan-gp",
        d_loss=wasserstein_d_loss,
        g_loss=wasserstein_g_loss,
        gradient_penalty=10.0,
        weight_clip=None,
        threshold=0.0,
        to_prob=sigmoid_prob,
        description="Wasserstein GAN with gradient penalty λ=10 (Gulrajani et al. 2017)",
    ),
)
LOSSES.add(
    "hinge",
    LossSpec(
        name="hinge",
        d_loss=hinge_d_loss,
        g_loss=wasserstein_g_loss,
        gradient_penalty=0.0,
        weight_clip=None,
        threshold=0.0,
        to_prob=sigmoid_prob,
        description="hinge loss (Lim & Ye 2017; Miyato et al. 2018)",
    ),
)
