"""Class-conditional batch normalisation (de Vries et al. 2017; used by SNGAN/cGAN-pd, Miyato & Koyama 2018)."""

from __future__ import annotations

import torch
from torch import nn


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm2d whose per-channel scale and shift are looked up from the class label.

    ``y = BN(x) * gamma[label] + beta[label]`` with BN's own affine turned off. The tables start at
    gamma = 1, beta = 0, so at initialisation it equals a plain BatchNorm2d.

    Args:
        num_features: Number of channels C of the input [B, C, H, W].
        num_classes: Number of classes (rows of the gamma / beta tables); must be >= 1.
        eps: Added to the batch variance for numerical stability.
        momentum: Running-statistics update rate, as in ``nn.BatchNorm2d``.
    """

    def __init__(self, num_features: int, num_classes: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"ConditionalBatchNorm2d needs num_classes >= 1, got {num_classes}")
        self.num_features = num_features
        self.num_classes = num_classes
        self.bn = nn.BatchNorm2d(num_features, eps=eps, momentum=momentum, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Normalises ``x`` [B, C, H, W] and applies the affine transform of ``labels`` [B] (int64)."""
        h = self.bn(x)  # [B, C, H, W]
        gamma = self.gamma(labels)[:, :, None, None]  # [B, C, 1, 1]
        beta = self.beta(labels)[:, :, None, None]  # [B, C, 1, 1]
        return h * gamma + beta
