"""Fully-connected GAN (Goodfellow et al. 2014), in the layout of PyTorch-GAN's ``gan.py``.

G: z -> w -> 2w -> 4w -> C*R*R, LeakyReLU(0.2) with BatchNorm on the two middle layers, tanh out.
D: flatten -> 2w -> w -> 1, LeakyReLU(0.2). ``width=256`` gives the classic 256/512/1024 generator and
512/256 discriminator. Works at any resolution (the image is just a vector).
"""

from __future__ import annotations

from typing import Any, ClassVar

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
)
from ganforge.models.family import MODELS, ModelFamily
from ganforge.nn import ProjectionHead, apply_spectral_norm_


class MLPGenerator(nn.Module):
    """Fully-connected generator.

    Args:
        z_dim: Length of the latent vector z (drawn N(0, I) by the caller); typically 100.
        channels: Image channels C (1 for MNIST-like, 3 for RGB).
        resolution: Image side R in pixels; any value >= 1.
        width: Hidden size of the first layer; the next two are 2x and 4x. 256 reproduces gan.py.
        num_classes: Number of classes for a class-conditional generator; 0 = unconditional. When > 0 a
            learned class embedding of length ``z_dim`` is concatenated to z and ``labels`` are required.
        conditioning: How a conditional generator takes the label: only ``embed`` (the embedding above).

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
        self.resolution = check_int("resolution", resolution, 1)
        self.width = check_int("width", width, 1)
        self.num_classes = check_int("num_classes", num_classes, 0)
        self.config: dict[str, Any] = {
            "z_dim": z_dim,
            "channels": channels,
            "resolution": resolution,
            "width": width,
            "num_classes": num_classes,
        }
        check_generator_conditioning("mlp", conditioning, ("embed",))
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        self.embed = nn.Embedding(num_classes, z_dim) if num_classes > 0 else None
        in_features = z_dim * (2 if num_classes > 0 else 1)
        self.net = nn.Sequential(
            nn.Linear(in_features, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, 2 * width),
            nn.BatchNorm1d(2 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(2 * width, 4 * width),
            nn.BatchNorm1d(4 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(4 * width, channels * resolution * resolution),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Maps latents z [B, z_dim] (+ labels [B] int64 if conditional) to images [B, C, R, R] in [-1, 1]."""
        check_latent(z, self.z_dim)
        check_labels(labels, self.num_classes, z.shape[0])
        if self.embed is not None:
            z = torch.cat([z, self.embed(labels)], dim=1)  # [B, 2 * z_dim]
        x = self.net(z)  # [B, C*R*R] in [-1, 1]
        return x.view(-1, self.channels, self.resolution, self.resolution)  # [B, C, R, R] in [-1, 1]


class MLPDiscriminator(ScoresAndClasses, nn.Module):
    """Fully-connected discriminator returning raw scores.

    Args:
        channels: Image channels C.
        resolution: Image side R in pixels; any value >= 1.
        width: Size of the second hidden layer; the first is 2x. 256 reproduces gan.py (512 -> 256 -> 1).
        num_classes: Number of classes; > 0 makes ``labels`` required. 0 = unconditional.
        conditioning: How a conditional discriminator sees the label: ``projection`` (Miyato & Koyama 2018),
            ``concat`` (the one-hot label joins the flattened image, Mirza & Osindero 2014) or ``auxiliary``
            (an unconditional score plus class logits, ACGAN); see :mod:`ganforge.nn.projection`.
        spectral_norm: Whether to spectrally normalise every linear layer (Miyato et al. 2018).
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
        check_norm("mlp", norm, ("auto", "none"))  # this discriminator has no normalisation layers
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_int("resolution", resolution, 1)
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
        self.conditioning = check_discriminator_conditioning("mlp", conditioning)
        if num_classes > 0:
            self.config["conditioning"] = conditioning
        self._one_hot = num_classes > 0 and conditioning == "concat"
        in_features = channels * resolution * resolution + (num_classes if self._one_hot else 0)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, 2 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(2 * width, width),
            nn.LeakyReLU(0.2),
        )
        self.head = ProjectionHead(width, num_classes, conditioning)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores images x [B, C, R, R] (+ labels [B] int64 if conditional) -> raw logits [B]."""
        return self.head(self.features(x, labels), labels)

    def features(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The head's input for images x [B, C, R, R] (+ labels if conditional) -> [B, width]."""
        check_images(x, self.channels, self.resolution)
        check_labels(labels, self.num_classes, x.shape[0])
        if self._one_hot and labels is not None:  # the one-hot label joins the flattened image: [B, C*R*R + K]
            x = torch.cat([x.flatten(1), F.one_hot(labels, self.num_classes).to(x.dtype)], dim=1)
        return self.net(x)  # [B, width]


MODELS.add(
    "mlp",
    ModelFamily(
        name="mlp",
        generator=MLPGenerator,
        discriminator=MLPDiscriminator,
        resolutions=(),  # any resolution
        generator_conditionings=("embed",),
        description=(
            "fully-connected GAN (Goodfellow et al. 2014; PyTorch-GAN gan.py layout); any resolution, width 256"
        ),
    ),
)
