"""SNGAN ResNet generator and discriminator (Miyato et al. 2018, appendix B.4, CIFAR-10 architecture).

- 32 px: G z -> linear -> w x 4x4 -> 3 up-ResBlocks -> 32x32 -> BN -> ReLU -> conv3x3 -> tanh.
- 28 px: the same from 7x7 with 2 up-ResBlocks, so 28x28 data (MNIST, Fashion-MNIST) runs natively.
- D (both): optimized first ResBlock (down) -> ResBlock (down) -> 2 ResBlocks -> ReLU -> global sum pooling
  -> linear, plus the class projection of Miyato & Koyama 2018 when conditional.

The paper uses G width 256 and D width 128 at 32 px; here one ``width`` is used by each network. Conditional
generators use class-conditional BatchNorm in the residual blocks (the SNGAN / cGAN-pd recipe).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.models._common import (
    ScoresAndClasses,
    check_discriminator_conditioning,
    check_generator_conditioning,
    check_images,
    check_int,
    check_labels,
    check_latent,
    check_norm,
    check_resolution,
)
from ganforge.models.family import MODELS, ModelFamily
from ganforge.nn import (
    DownResBlock,
    FirstDownResBlock,
    ProjectionHead,
    UpResBlock,
    append_label_maps,
    apply_spectral_norm_,
    xavier_init_,
)
from ganforge.nn.layout import like

# resolution -> (side of G's first feature map, number of up-blocks)
_LAYOUTS: dict[int, tuple[int, int]] = {28: (7, 2), 32: (4, 3)}
RESOLUTIONS: tuple[int, ...] = tuple(sorted(_LAYOUTS))


class ResNetGenerator(nn.Module):
    """SNGAN residual generator.

    Args:
        z_dim: Length of the latent vector z (drawn N(0, I) by the caller); 128 in the paper.
        channels: Image channels C (1 for MNIST-like, 3 for RGB).
        resolution: Image side R in pixels: 28 or 32.
        width: Channels of every residual block; 256 in the paper, 64-128 is practical on a CPU.
        num_classes: Number of classes for a class-conditional generator (conditional BatchNorm in every
            residual block, labels required); 0 = unconditional.
        conditioning: How a conditional generator takes the label: only ``cbn`` (conditional batch norm).

    Attributes:
        config: The constructor arguments, saved by :func:`ganforge.models.io.save_pretrained`.
    """

    def __init__(
        self,
        *,
        z_dim: int,
        channels: int,
        resolution: int,
        width: int,
        num_classes: int = 0,
        conditioning: str = "cbn",
    ) -> None:
        super().__init__()
        self.z_dim = check_int("z_dim", z_dim, 1)
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_resolution("resnet", resolution, RESOLUTIONS)
        self.width = check_int("width", width, 1)
        self.num_classes = check_int("num_classes", num_classes, 0)
        self.config: dict[str, Any] = {
            "z_dim": z_dim,
            "channels": channels,
            "resolution": resolution,
            "width": width,
            "num_classes": num_classes,
        }
        check_generator_conditioning("resnet", conditioning, ("cbn",))
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        base, n_up = _LAYOUTS[resolution]
        self.base = base
        self.project = xavier_init_(nn.Linear(z_dim, width * base * base))
        self.blocks = nn.ModuleList([UpResBlock(width, width, num_classes) for _ in range(n_up)])
        self.out_norm = nn.BatchNorm2d(width)
        self.out_conv = xavier_init_(nn.Conv2d(width, channels, 3, padding=1))

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Maps latents z [B, z_dim] (+ labels [B] int64 if conditional) to images [B, C, R, R] in [-1, 1]."""
        check_latent(z, self.z_dim)
        check_labels(labels, self.num_classes, z.shape[0])
        h = self.project(z).view(-1, self.width, self.base, self.base)  # [B, w, b, b]
        h = like(h, cast(UpResBlock, self.blocks[0]).conv1.weight)  # in the convs' layout, forward and backward
        for block in self.blocks:
            h = block(h, labels)  # doubles H and W
        h = F.relu(self.out_norm(h))  # [B, w, R, R]
        return torch.tanh(self.out_conv(h))  # [B, C, R, R] in [-1, 1]


class ResNetDiscriminator(ScoresAndClasses, nn.Module):
    """SNGAN residual discriminator with global sum pooling and a linear (projection) head.

    Args:
        channels: Image channels C.
        resolution: Image side R in pixels: 28 or 32.
        width: Channels of every residual block; 128 in the paper.
        num_classes: Number of classes; > 0 makes ``labels`` required. 0 = unconditional.
        conditioning: How a conditional discriminator sees the label: ``projection`` (Miyato & Koyama 2018),
            ``concat`` (one-hot label planes appended to the input channels) or ``auxiliary`` (an unconditional
            score plus class logits, ACGAN); see :mod:`ganforge.nn.projection`.
        spectral_norm: Whether to spectrally normalise every conv, linear and the class embedding
            (Miyato et al. 2018). The network has no BatchNorm either way.
        norm: Accepted for a uniform interface: only ``auto`` / ``none`` (no normalisation layers).

    Attributes:
        config: The constructor arguments, saved by :func:`ganforge.models.io.save_pretrained`.
    """

    #: Its own forward mixes no samples (see :func:`ganforge.recipes.gan.per_sample`).
    per_sample_forward: ClassVar[bool] = True

    def __init__(
        self,
        *,
        channels: int,
        resolution: int,
        width: int,
        num_classes: int = 0,
        spectral_norm: bool = False,
        norm: str = "auto",
        conditioning: str = "projection",
    ) -> None:
        super().__init__()
        check_norm("resnet", norm, ("auto", "none"))  # this discriminator has no normalisation layers
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_resolution("resnet", resolution, RESOLUTIONS)
        self.width = check_int("width", width, 1)
        self.num_classes = check_int("num_classes", num_classes, 0)
        self.config: dict[str, Any] = {
            "channels": channels,
            "resolution": resolution,
            "width": width,
            "num_classes": num_classes,
            "spectral_norm": bool(spectral_norm),
            "norm": "none",
        }
        self.conditioning = check_discriminator_conditioning("resnet", conditioning)
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        self._label_maps = num_classes > 0 and conditioning == "concat"
        self.blocks = nn.Sequential(
            FirstDownResBlock(channels + (num_classes if self._label_maps else 0), width),  # R -> R/2
            DownResBlock(width, width, downsample=True),  # R/2 -> R/4
            DownResBlock(width, width, downsample=False),
            DownResBlock(width, width, downsample=False),
        )
        self.head = ProjectionHead(width, num_classes, conditioning)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores images x [B, C, R, R] (+ labels [B] int64 if conditional) -> raw logits [B]."""
        return self.head(self.features(x, labels), labels)

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The head's input for images x [B, C, R, R] (+ labels if conditional) -> [B, w]."""
        check_images(x, self.channels, self.resolution)
        check_labels(labels, self.num_classes, x.shape[0])
        if self._label_maps:
            x = append_label_maps(x, cast(torch.Tensor, labels), self.num_classes)  # [B, C + K, R, R]
        h = F.relu(self.blocks(x))  # [B, w, R/4, R/4]
        return h.sum(dim=(2, 3))  # [B, w], global sum pooling


MODELS.add(
    "resnet",
    ModelFamily(
        name="resnet",
        generator=ResNetGenerator,
        discriminator=ResNetDiscriminator,
        resolutions=RESOLUTIONS,
        generator_conditionings=("cbn",),
        description="SNGAN ResNet (Miyato et al. 2018), conditional BN in G, projection D; 28/32 px, width 128",
    ),
)
