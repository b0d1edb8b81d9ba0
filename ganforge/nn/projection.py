"""Output head of a discriminator, and the three ways a discriminator can see the class label.

- ``projection`` (Miyato & Koyama 2018): ``D(x, y) = psi(phi(x)) + embed(y)^T phi(x)``.
- ``concat`` (Mirza & Osindero 2014, as convolutional cGANs do it): the label enters as ``K`` one-hot planes
  appended to the image channels (:func:`append_label_maps`); the head itself is unconditional.
- ``auxiliary`` (ACGAN, Odena et al. 2017): an unconditional real/fake score plus ``K`` class logits from the
  same features (:meth:`ProjectionHead.classes`); the label is not an input of the score.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.nn.init import xavier_init_

Conditioning = Literal["projection", "concat", "auxiliary"]
#: How a conditional discriminator sees the label (see the module docstring).
CONDITIONINGS: tuple[str, ...] = ("projection", "concat", "auxiliary")


def append_label_maps(x: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``x`` [B, C, H, W] and ``labels`` [B] -> [B, C + K, H, W]: one constant one-hot plane per class."""
    planes = F.one_hot(labels, num_classes).to(x.dtype)[:, :, None, None]  # [B, K, 1, 1]
    planes = planes.expand(-1, -1, x.shape[2], x.shape[3])  # [B, K, H, W]
    out = torch.cat([x, planes], dim=1)
    if not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        out = out.contiguous(memory_format=torch.channels_last)  # keep the caller's layout
    return out


class ProjectionHead(nn.Module):
    """Maps a feature vector to one raw score; conditional heads project or classify (see the module docstring).

    Args:
        in_features: Length F of the feature vector ``h`` [B, F].
        num_classes: Number of classes; 0 makes the head unconditional (``psi`` only).
        conditioning: With ``num_classes > 0``: ``projection`` adds ``<embed(y), h>`` to the score;
            ``auxiliary`` adds ``K`` class logits (:meth:`classes`) and leaves the score unconditional;
            ``concat`` leaves the head unconditional (the label is an input of the network instead).
    """

    #: Its own forward mixes no samples (see :func:`ganforge.recipes.gan.per_sample`).
    per_sample_forward: ClassVar[bool] = True

    def __init__(self, in_features: int, num_classes: int = 0, conditioning: str = "projection") -> None:
        super().__init__()
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0, got {num_classes}")
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, got {conditioning!r}")
        self.in_features = in_features
        self.num_classes = num_classes
        self.conditioning = conditioning
        self.linear = xavier_init_(nn.Linear(in_features, 1))
        self.embed: nn.Embedding | None = None
        self.classifier: nn.Linear | None = None
        if num_classes > 0 and conditioning == "projection":
            self.embed = xavier_init_(nn.Embedding(num_classes, in_features))
        if num_classes > 0 and conditioning == "auxiliary":
            self.classifier = xavier_init_(nn.Linear(in_features, num_classes))

    def forward(self, h: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores features ``h`` [B, F] (with ``labels`` [B] int64 for a projection head) -> raw logits [B]."""
        out = self.linear(h).squeeze(1)  # [B]
        if self.embed is not None:
            if labels is None:
                raise ValueError("this projection head is conditional: pass labels [B] (int64)")
            out = out + (self.embed(labels) * h).sum(dim=1)  # [B], the projection term
        return out

    def classes(self, h: torch.Tensor) -> torch.Tensor:
        """Class logits [B, K] of features ``h`` [B, F]; only an ``auxiliary`` head has them."""
        if self.classifier is None:
            raise ValueError(
                f"this discriminator head ({self.conditioning}, {self.num_classes} classes) has no class logits: "
                "build it with conditioning='auxiliary' and num_classes > 0"
            )
        out: torch.Tensor = self.classifier(h)
        return out
