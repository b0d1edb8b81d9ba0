"""Model families: pure ``nn.Module`` generators and discriminators, registered by name in ``MODELS``.

Importing this package registers every family (``mlp``, ``dcgan``, ``resnet``, ``toy``; ``pix2pix`` for image
pairs)::

    from ganforge.models import MODELS
    family = MODELS.get("dcgan")
    G = family.generator(z_dim=100, channels=1, resolution=28, width=64)
    D = family.discriminator(channels=1, resolution=28, width=64, spectral_norm=True)
"""

from __future__ import annotations

from ganforge.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganforge.models.family import MODELS, ModelFamily, module_config
from ganforge.models.io import load_pretrained, save_pretrained
from ganforge.models.mlp import MLPDiscriminator, MLPGenerator
from ganforge.models.pix2pix import PatchGANDiscriminator, UNetGenerator
from ganforge.models.resnet import ResNetDiscriminator, ResNetGenerator
from ganforge.models.toy import PointDiscriminator, PointGenerator

__all__ = [
    "MODELS",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "ModelFamily",
    "PatchGANDiscriminator",
    "PointDiscriminator",
    "PointGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "UNetGenerator",
    "load_pretrained",
    "module_config",
    "save_pretrained",
]
