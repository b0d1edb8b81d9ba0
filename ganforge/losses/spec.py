"""The adversarial-loss record and the ``LOSSES`` registry (filled when ``ganforge.losses`` is imported)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from ganforge.registry import Registry


@dataclass(frozen=True)
class LossSpec:
    """One adversarial objective: the D and G losses plus the defaults that go with them.

    Attributes:
        name: Registry name.
        d_loss: ``(real_logits [B], fake_logits [B]) -> scalar`` discriminator / critic loss to minimise.
        g_loss: ``fake_logits [B] -> scalar`` generator loss to minimise.
        gradient_penalty: Default weight λ of the WGAN-GP penalty (10 for ``wgan-gp``, 0 = off).
        weight_clip: Default WGAN weight-clipping bound c (0.01 for ``wgan``), ``None`` = no clipping.
        threshold: Score above which D "says real", for D accuracy (0 for logit-type scores, 0.5 for lsgan).
        to_prob: Maps scores to a D(x)-like value in [0, 1] for display. For the Wasserstein and hinge
            losses the scores are not log-odds, so the sigmoid of them is a monotone display value,
            not a probability.
        description: One line for listings.
    """

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    gradient_penalty: float
    weight_clip: float | None
    threshold: float
    to_prob: Callable[[Tensor], Tensor]
    description: str


LOSSES: Registry[LossSpec] = Registry("loss")
