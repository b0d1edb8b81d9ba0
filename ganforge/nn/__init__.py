"""Reusable layers for ganforge models: residual blocks, conditional norms, spectral norm, init, upsampling.

Nothing here knows about model families, registries or training; ``ganforge.models`` composes these.
"""

from __future__ import annotations

from ganforge.nn.blocks import DownResBlock, FirstDownResBlock, UpResBlock
from ganforge.nn.init import dcgan_init_, xavier_init_
from ganforge.nn.norm import ConditionalBatchNorm2d
from ganforge.nn.projection import CONDITIONINGS, ProjectionHead, append_label_maps
from ganforge.nn.spectral import SPECTRAL_NORM_LAYERS, apply_spectral_norm_, has_spectral_norm
from ganforge.nn.upsample import Upsample2x, upsample_nearest2x

__all__ = [
    "CONDITIONINGS",
    "SPECTRAL_NORM_LAYERS",
    "ConditionalBatchNorm2d",
    "DownResBlock",
    "FirstDownResBlock",
    "ProjectionHead",
    "UpResBlock",
    "Upsample2x",
    "append_label_maps",
    "apply_spectral_norm_",
    "dcgan_init_",
    "has_spectral_norm",
    "upsample_nearest2x",
    "xavier_init_",
]
