"""Output head of a discriminator, optionally with the class projection of Miyato & Koyama 2018."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from ganforge.nn.init import xavier_init_


class ProjectionHead(nn.Module):
    """Maps a feature vector to one raw score, adding ``<embed(y), h>`` when conditional.

    cGANs with projection discriminator (Miyato & Koyama 2018, eq. 3):
    ``D(x, y) = psi(phi(x)) + embed(y)^T phi(x)`` with ``psi`` a linear layer and ``phi(x)`` = ``h``.

    Args:
        in_features: Length F of the feature vector ``h`` [B, F].
        num_classes: Number of classes; 0 makes the head unconditional (``psi`` only).
    """

    #: Its own forward mixes no samples (see :func:`ganforge.recipes.gan.per_sample`).
    per_sample_forward: ClassVar[bool] = True

    def __init__(self, in_features: int, num_classes: int = 0) -> None:
        super().__init__()
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {num_classes}")
        self.in_features = in_features
        self.num_classes = num_classes
        self.linear = xavier_init_(nn.Linear(in_features, 1))
        self.embed: nn.Embedding | None = None
        if num_classes > 0:
            self.embed = xavier_init_(nn.Embedding(num_classes, in_features))

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores features ``h`` [B, F] (with ``labels`` [B] int64 when conditional) -> raw logits [B]."""
        out = self.linear(h).squeeze(1)  # [B]
        if self.embed is not None:
            if labels is None:
                raise ValueError("this projection head is conditional: pass labels [B] (int64)")
            out = out + (self.embed(labels) * h).sum(dim=1)  # [B], the projection term
        return out
