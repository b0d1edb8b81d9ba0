"""Nearest-neighbour 2x upsampling written as expand + reshape.

Same values as ``F.interpolate(x, scale_factor=2, mode="nearest")``, but its backward is a plain
reduction, which ``torch.compile`` turns into a fast kernel (``nn.Upsample``'s backward became a slow
scatter there; see /work/shared/PERF_NOTES.md). Keeps channels_last inputs channels_last.
"""

from __future__ import annotations

import torch
from torch import nn


def upsample_nearest2x(x: torch.Tensor) -> torch.Tensor:
    """Repeats every pixel of ``x`` [B, C, H, W] into a 2x2 block -> [B, C, 2H, 2W], same memory format."""
    if x.ndim != 4:
        raise ValueError(f"upsample_nearest2x expects [B, C, H, W], got shape {tuple(x.shape)}")
    b, c, h, w = x.shape
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        y = x.permute(0, 2, 3, 1)  # [B, H, W, C], dense in memory
        y = y[:, :, None, :, None, :].expand(b, h, 2, w, 2, c).reshape(b, 2 * h, 2 * w, c)
        return y.permute(0, 3, 1, 2)  # [B, C, 2H, 2W] viewed as channels_last
    return x[:, :, :, None, :, None].expand(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w)


class Upsample2x(nn.Module):
    """Module form of :func:`upsample_nearest2x` (no parameters)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upsample_nearest2x(x)
