"""Residual blocks of the SNGAN ResNet generator and discriminator (Miyato et al. 2018, appendix B.4).

Layout follows the CIFAR-10 ResNet of Miyato et al. 2018 (itself after Gulrajani et al. 2017): pre-activation
blocks, nearest-neighbour upsampling in G, 2x2 average pooling in D, 1x1 learnable shortcuts.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.nn.init import xavier_init_
from ganforge.nn.norm import ConditionalBatchNorm2d
from ganforge.nn.upsample import upsample_nearest2x

_RELU_GAIN = math.sqrt(2.0)


class _Norm2d(nn.Module):
    """BatchNorm2d, or ConditionalBatchNorm2d when ``num_classes > 0``, behind one ``forward(x, labels)``."""

    def __init__(self, num_features: int, num_classes: int) -> None:
        super().__init__()
        self.norm: nn.Module = (
            ConditionalBatchNorm2d(num_features, num_classes) if num_classes > 0 else nn.BatchNorm2d(num_features)
        )
        self.conditional = num_classes > 0

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        if self.conditional:
            if labels is None:
                raise ValueError("conditional batch norm needs labels [B] (int64)")
            out: torch.Tensor = self.norm(x, labels)
            return out
        out = self.norm(x)
        return out


class UpResBlock(nn.Module):
    """Generator block: BN -> ReLU -> up 2x -> conv3x3 -> BN -> ReLU -> conv3x3, plus up -> conv1x1 shortcut.

    Doubles the spatial size: [B, in_channels, H, W] -> [B, out_channels, 2H, 2W].

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        num_classes: Number of classes for class-conditional batch norm; 0 uses plain BatchNorm2d.
    """

    def __init__(self, in_channels: int, out_channels: int, num_classes: int = 0) -> None:
        super().__init__()
        self.norm1 = _Norm2d(in_channels, num_classes)
        self.conv1 = xavier_init_(nn.Conv2d(in_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.norm2 = _Norm2d(out_channels, num_classes)
        self.conv2 = xavier_init_(nn.Conv2d(out_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.shortcut = xavier_init_(nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """[B, in, H, W] (+ labels [B] if conditional) -> [B, out, 2H, 2W]."""
        h = F.relu(self.norm1(x, labels))
        h = self.conv1(upsample_nearest2x(h))  # [B, out, 2H, 2W]
        h = self.conv2(F.relu(self.norm2(h, labels)))
        return h + self.shortcut(upsample_nearest2x(x))


class DownResBlock(nn.Module):
    """Discriminator block: ReLU -> conv3x3 -> ReLU -> conv3x3 (-> avgpool 2x), plus conv1x1 (-> avgpool) shortcut.

    [B, in_channels, H, W] -> [B, out_channels, H/2, W/2] (or H, W when ``downsample`` is False). The shortcut
    is the identity when the block neither changes channels nor downsamples. No normalisation layers: use
    :func:`ganforge.nn.spectral.apply_spectral_norm_` on the whole discriminator.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        downsample: Whether to halve the spatial size with 2x2 average pooling (H and W must be even).
    """

    #: Its own forward mixes no samples (see :func:`ganforge.recipes.gan.per_sample`).
    per_sample_forward: ClassVar[bool] = True

    def __init__(self, in_channels: int, out_channels: int, downsample: bool) -> None:
        super().__init__()
        self.downsample = downsample
        self.conv1 = xavier_init_(nn.Conv2d(in_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.conv2 = xavier_init_(nn.Conv2d(out_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.shortcut: nn.Module | None = None
        if downsample or in_channels != out_channels:
            self.shortcut = xavier_init_(nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in, H, W] -> [B, out, H/2, W/2] if downsampling else [B, out, H, W]."""
        h = self.conv1(F.relu(x))
        h = self.conv2(F.relu(h))
        skip = x if self.shortcut is None else self.shortcut(x)
        if self.downsample:
            h = F.avg_pool2d(h, 2)
            skip = F.avg_pool2d(skip, 2)
        return h + skip


class FirstDownResBlock(nn.Module):
    """The discriminator's first ("optimized") block: no pre-activation, and the shortcut pools before its conv.

    conv3x3 -> ReLU -> conv3x3 -> avgpool 2x, plus avgpool -> conv1x1 shortcut; [B, in, H, W] -> [B, out, H/2, W/2].
    Starting without ReLU keeps the sign information of the raw image.

    Args:
        in_channels: Input (image) channels.
        out_channels: Output channels.
    """

    #: Its own forward mixes no samples (see :func:`ganforge.recipes.gan.per_sample`).
    per_sample_forward: ClassVar[bool] = True

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = xavier_init_(nn.Conv2d(in_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.conv2 = xavier_init_(nn.Conv2d(out_channels, out_channels, 3, padding=1), gain=_RELU_GAIN)
        self.shortcut = xavier_init_(nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, in, H, W] -> [B, out, H/2, W/2]."""
        h = self.conv2(F.relu(self.conv1(x)))
        return F.avg_pool2d(h, 2) + self.shortcut(F.avg_pool2d(x, 2))
