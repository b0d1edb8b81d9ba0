"""Fully-connected GAN (Goodfellow et al. 2014), in the layout of PyTorch-GAN's ``gan.py``.

G: z -> w -> 2w -> 4w -> C*R*R, LeakyReLU(0.2) with BatchNorm on the two middle layers, tanh out.
D: flatten -> 2w -> w -> 1, LeakyReLU(0.2). ``width=256`` gives the classic 256/512/1024 generator and
512/256 discriminator. Works at any resolution (the image is just a vector).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ganforge.models._common import check_images, check_int, check_labels, check_latent, check_norm
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

    Attributes:
        config: The constructor arguments, saved by :func:`ganforge.models.io.save_pretrained`.
    """

    def __init__(self, *, z_dim: int, channels: int, resolution: int, width: int, num_classes: int = 0) -> None:
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


class MLPDiscriminator(nn.Module):
    """Fully-connected discriminator returning raw scores.

    Args:
        channels: Image channels C.
        resolution: Image side R in pixels; any value >= 1.
        width: Size of the second hidden layer; the first is 2x. 256 reproduces gan.py (512 -> 256 -> 1).
        num_classes: Number of classes; > 0 adds the projection term of Miyato & Koyama 2018 and makes
            ``labels`` required. 0 = unconditional.
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
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * resolution * resolution, 2 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(2 * width, width),
            nn.LeakyReLU(0.2),
        )
        self.head = ProjectionHead(width, num_classes)
        if spectral_norm:
            apply_spectral_norm_(self)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Scores images x [B, C, R, R] (+ labels [B] int64 if conditional) -> raw logits [B]."""
        check_images(x, self.channels, self.resolution)
        check_labels(labels, self.num_classes, x.shape[0])
        h = self.net(x)  # [B, width]
        return self.head(h, labels)


MODELS.add(
    "mlp",
    ModelFamily(
        name="mlp",
        generator=MLPGenerator,
        discriminator=MLPDiscriminator,
        resolutions=(),  # any resolution
        description=(
            "fully-connected GAN (Goodfellow et al. 2014; PyTorch-GAN gan.py layout); any resolution, width 256"
        ),
    ),
)
