"""DCGAN (Radford et al. 2015): transposed-conv generator and strided-conv discriminator.

Layouts by resolution R (w = ``width``):

- 28 (native MNIST): G z -> 2w x 7x7 -> w x 14x14 -> C x 28x28;  D C x 28 -> w x 14 -> 2w x 7 -> logit.
- 32: G z -> 4w x 4x4 -> 2w x 8 -> w x 16 -> C x 32;  D C x 32 -> w x 16 -> 2w x 8 -> 4w x 4 -> logit.
- 64: G z -> 8w x 4x4 -> 4w x 8 -> 2w x 16 -> w x 32 -> C x 64;  D mirrors it with 8w x 4x4 at the end.

Every up/down step is a 4x4 kernel, stride 2, padding 1. The z projection is a linear layer, equivalent
to the paper's 4x4 transposed conv on a 1x1 input. DCGAN init: weights N(0, 0.02), BN scale N(1, 0.02).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import torch
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
from ganforge.nn import ConditionalBatchNorm2d, ProjectionHead, append_label_maps, apply_spectral_norm_, dcgan_init_
from ganforge.nn.layout import flatten_features, like

# resolution -> (side of the smallest feature map, number of 2x up/down steps)
_LAYOUTS: dict[int, tuple[int, int]] = {28: (7, 2), 32: (4, 3), 64: (4, 4)}
RESOLUTIONS: tuple[int, ...] = tuple(sorted(_LAYOUTS))


class DCGANGenerator(nn.Module):
    """DCGAN generator: linear projection, then (ConvTranspose 4x4/2 -> BN -> ReLU) steps, tanh out.

    Args:
        z_dim: Length of the latent vector z (drawn N(0, I) by the caller); typically 100.
        channels: Image channels C (1 for MNIST-like, 3 for RGB).
        resolution: Image side R in pixels: 28, 32 or 64.
        width: Base channel count w (channels of the last hidden layer; earlier layers use 2w, 4w, 8w).
            64 is typical; 128 matches PyTorch-GAN's dcgan.py.
        num_classes: Number of classes for a class-conditional generator; 0 = unconditional. When > 0,
            ``labels`` are required.
        conditioning: How a conditional generator takes the label: ``embed`` (a learned class embedding of
            length ``z_dim`` is concatenated to z; cGAN, ACGAN) or ``cbn`` (class-conditional batch norm in place
            of every batch norm, de Vries et al. 2017; the projection-discriminator recipe).

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
        conditioning: str = "embed",
    ) -> None:
        super().__init__()
        self.z_dim = check_int("z_dim", z_dim, 1)
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_resolution("dcgan", resolution, RESOLUTIONS)
        self.width = check_int("width", width, 1)
        self.num_classes = check_int("num_classes", num_classes, 0)
        self.config: dict[str, Any] = {
            "z_dim": z_dim,
            "channels": channels,
            "resolution": resolution,
            "width": width,
            "num_classes": num_classes,
        }
        self.conditioning = check_generator_conditioning("dcgan", conditioning, ("embed", "cbn"))
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        cbn = num_classes > 0 and conditioning == "cbn"

        def norm(ch: int) -> nn.Module:
            return ConditionalBatchNorm2d(ch, num_classes) if cbn else nn.BatchNorm2d(ch)

        base, steps = _LAYOUTS[resolution]
        self.base = base
        self.base_channels = width * 2 ** (steps - 1)
        self.embed = nn.Embedding(num_classes, z_dim) if num_classes > 0 and not cbn else None
        in_features = z_dim * (2 if self.embed is not None else 1)
        # The BN right after the projection makes its bias redundant.
        self.project = nn.Linear(in_features, self.base_channels * base * base, bias=False)
        self.project_norm = norm(self.base_channels)
        layers: list[nn.Module] = []
        ch = self.base_channels
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), norm(ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Maps latents z [B, z_dim] (+ labels [B] int64 if conditional) to images [B, C, R, R] in [-1, 1]."""
        check_latent(z, self.z_dim)
        check_labels(labels, self.num_classes, z.shape[0])
        if self.embed is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)  # [B, 2 * z_dim]
        h = self.project(z).view(-1, self.base_channels, self.base, self.base)  # [B, 2^(k-1) w, b, b]
        h = like(h, cast(nn.ConvTranspose2d, self.net[0]).weight)  # in the convs' layout, forward and backward
        if self.embed is not None or labels is None:
            return cast(torch.Tensor, self.net(torch.relu(self.project_norm(h))))  # [B, C, R, R] in [-1, 1]
        h = torch.relu(self.project_norm(h, labels))  # conditional batch norm: the label sets scale and shift
        for layer in self.net:
            h = layer(h, labels) if isinstance(layer, ConditionalBatchNorm2d) else layer(h)
        return h  # [B, C, R, R] in [-1, 1]


class DCGANDiscriminator(ScoresAndClasses, nn.Module):
    """DCGAN discriminator: (Conv 4x4/2 -> [BN] -> LeakyReLU(0.2)) steps, then a linear (projection) head.

    Args:
        channels: Image channels C.
        resolution: Image side R in pixels: 28, 32 or 64.
        width: Base channel count w (channels of the first conv; later convs use 2w, 4w, 8w). 64 is typical.
        num_classes: Number of classes; > 0 makes ``labels`` required. 0 = unconditional.
        conditioning: How a conditional discriminator sees the label: ``projection`` (Miyato & Koyama 2018),
            ``concat`` (one-hot label planes appended to the input channels) or ``auxiliary`` (an unconditional
            score plus class logits, ACGAN); see :mod:`ganforge.nn.projection`.
        spectral_norm: Whether to spectrally normalise all convs and linears (Miyato et al. 2018).
        norm: Normalisation after every conv but the first: ``batch``, ``layer`` (GroupNorm with one group,
            per-sample, as WGAN-GP's critic needs: Gulrajani et al. 2017 §4), ``none``, or ``auto`` = ``batch``
            without spectral norm and ``none`` with it (SNGAN's standard CNN).

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
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_resolution("dcgan", resolution, RESOLUTIONS)
        norm = check_norm("dcgan", norm, ("auto", "batch", "layer", "none"))
        if norm == "auto":
            norm = "none" if spectral_norm else "batch"
        self.width = check_int("width", width, 1)
        self.num_classes = check_int("num_classes", num_classes, 0)
        self.config: dict[str, Any] = {
            "channels": channels,
            "resolution": resolution,
            "width": width,
            "num_classes": num_classes,
            "spectral_norm": bool(spectral_norm),
            "norm": norm,
        }
        self.conditioning = check_discriminator_conditioning("dcgan", conditioning)
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        self._label_maps = num_classes > 0 and conditioning == "concat"
        in_channels = channels + (num_classes if self._label_maps else 0)
        base, steps = _LAYOUTS[resolution]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        ch = width
        for _ in range(steps - 1):
            if norm == "batch":
                layers += [nn.Conv2d(ch, 2 * ch, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ch), nn.LeakyReLU(0.2)]
            elif norm == "layer":
                layers += [nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.GroupNorm(1, 2 * ch), nn.LeakyReLU(0.2)]
            else:
                layers += [nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.LeakyReLU(0.2)]
            ch *= 2
        self.net = nn.Sequential(*layers)
        self.head = ProjectionHead(ch * base * base, num_classes, conditioning)
        dcgan_init_(self)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores images x [B, C, R, R] (+ labels [B] int64 if conditional) -> raw logits [B]."""
        return self.head(self.features(x, labels), labels)

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The head's input for images x [B, C, R, R] (+ labels if conditional) -> [B, F]."""
        check_images(x, self.channels, self.resolution)
        check_labels(labels, self.num_classes, x.shape[0])
        if self._label_maps:
            x = append_label_maps(x, cast(torch.Tensor, labels), self.num_classes)  # [B, C + K, R, R]
        return flatten_features(self.net(x))  # [B, 2^(k-1) w * b * b]


MODELS.add(
    "dcgan",
    ModelFamily(
        name="dcgan",
        generator=DCGANGenerator,
        discriminator=DCGANDiscriminator,
        resolutions=RESOLUTIONS,
        generator_conditionings=("embed", "cbn"),
        description="DCGAN (Radford et al. 2015): transposed-conv G, strided-conv D; 28/32/64 px, width 64",
    ),
)
