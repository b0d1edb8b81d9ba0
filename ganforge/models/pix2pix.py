"""pix2pix networks (Isola et al. 2017, §3.2 and appendix 6.1): a U-Net generator and a PatchGAN discriminator.

**U-Net generator** ``G(A) -> B``. An encoder of ``depth`` 4x4 stride-2 convolutions halves the image down to
1x1 (``depth = log2(R)``: 5 at 32 px, 8 at the paper's 256 px); a decoder of 4x4 stride-2 transposed
convolutions brings it back, each decoder layer also reading the encoder layer of its size (the skip
connections). Encoder ``Ck``: LeakyReLU(0.2) -> Conv -> BatchNorm (the first has no activation before it and no
norm, the innermost no norm); decoder: ReLU -> ConvTranspose -> BatchNorm, the outermost ending in tanh. Channels
are ``width * min(2^i, 8)`` at encoder level ``i`` (the paper's C64-C128-C256-C512-C512...). The three innermost
decoder layers apply dropout 0.5, in training and in use (the paper's only noise: there is no ``z``).

**PatchGAN discriminator** ``D(A, B) -> [B, 1, h, w]``: it sees the input and the output image concatenated along
the channels and scores every overlapping patch. ``n_layers`` stride-2 4x4 convolutions (C64-C128-C256...),
then a stride-1 4x4 convolution and a 4x4 convolution to one channel; BatchNorm after every conv but the first
and the last, LeakyReLU(0.2). The patch a score sees (its receptive field, :func:`receptive_field`):

=========  ===================  ================================================
n_layers   receptive field      default for image sides (largest field <= R/2)
=========  ===================  ================================================
1          16 x 16              16 - 67 px (MNIST-like 28 / 32 px images)
2          34 x 34              68 - 139 px
3          70 x 70 (the paper)  140 - 283 px (the paper's 256 px)
4          142 x 142            284 - 571 px
=========  ===================  ================================================
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.models._common import check_int
from ganforge.models.family import MODELS, ModelFamily
from ganforge.nn import dcgan_init_

#: Decoder layers (innermost first) that apply dropout 0.5 (Isola et al. 2017: CD512-CD1024-CD1024).
DROPOUT_LAYERS = 3


def unet_depth(resolution: int) -> int:
    """Encoder layers that take a ``resolution``-px image down to 1x1: ``log2(resolution)``.

    Raises:
        ConfigError: ``resolution`` is not a power of two >= 4 (resize the images: ``data.resolution``).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 4:
        raise ConfigError(f"the U-Net needs images of at least 4 px, got {resolution!r}")
    depth = round(math.log2(resolution))
    if 2**depth != resolution:
        raise ConfigError(
            f"the U-Net halves the image down to 1x1, so its side must be a power of two; {resolution} px is not: "
            f"set data.resolution={2 ** math.ceil(math.log2(resolution))} (e.g. 32 for 28 px MNIST)"
        )
    return depth


def receptive_field(n_layers: int) -> int:
    """Side in pixels of the input patch one PatchGAN score sees (70 for the paper's ``n_layers=3``)."""
    field = 1
    for stride in [1, 1] + [2] * n_layers:  # from the last conv back to the input
        field = (field - 1) * stride + 4
    return field


def default_patch_layers(resolution: int) -> int:
    """The largest ``n_layers`` whose receptive field is at most half the image side (at least 1)."""
    n = 1
    while receptive_field(n + 1) <= resolution // 2:
        n += 1
    return n


class UNetGenerator(nn.Module):
    """U-Net generator: ``A [B, in_channels, R, R] -> B [B, out_channels, R, R]`` in [-1, 1].

    Args:
        in_channels: Channels of the input image A.
        out_channels: Channels of the output image B.
        resolution: Image side R, a power of two (its log2 is the depth).
        width: Channels of the first encoder layer (64 in the paper).
        dropout: Dropout rate of the three innermost decoder layers (0.5 in the paper; 0 = deterministic).

    Attributes:
        config: The constructor arguments, saved by :func:`ganforge.models.io.save_pretrained`.
    """

    def __init__(
        self, *, in_channels: int, out_channels: int, resolution: int, width: int = 64, dropout: float = 0.5
    ) -> None:
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.out_channels = check_int("out_channels", out_channels, 1)
        self.width = check_int("width", width, 1)
        self.depth = unet_depth(resolution)
        self.resolution = resolution
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout!r}")
        self.config: dict[str, Any] = {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "resolution": resolution,
            "width": width,
            "dropout": dropout,
        }
        chans = [width * min(2**i, 8) for i in range(self.depth)]
        self.down = nn.ModuleList()
        for i, out in enumerate(chans):
            conv = nn.Conv2d(in_channels if i == 0 else chans[i - 1], out, 4, 2, 1, bias=False)
            if i == 0:
                self.down.append(nn.Sequential(conv))
            elif i == self.depth - 1:  # innermost: 1x1, no norm
                self.down.append(nn.Sequential(nn.LeakyReLU(0.2), conv))
            else:
                self.down.append(nn.Sequential(nn.LeakyReLU(0.2), conv, nn.BatchNorm2d(out)))
        self.up = nn.ModuleList()
        for i in range(self.depth):  # up[i] produces the size of down[i]'s input
            fan_in = chans[i] * (1 if i == self.depth - 1 else 2)  # the innermost reads no skip
            if i == 0:
                layers: list[nn.Module] = [nn.ReLU(), nn.ConvTranspose2d(fan_in, out_channels, 4, 2, 1), nn.Tanh()]
            else:
                layers = [nn.ReLU(), nn.ConvTranspose2d(fan_in, chans[i - 1], 4, 2, 1, bias=False),
                          nn.BatchNorm2d(chans[i - 1])]  # fmt: skip
                if i >= self.depth - DROPOUT_LAYERS and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        dcgan_init_(self)  # the paper's init: N(0, 0.02) weights, BN scale N(1, 0.02)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        """Translates images ``a`` [B, in_channels, R, R] in [-1, 1] -> [B, out_channels, R, R] in [-1, 1]."""
        expected = (self.in_channels, self.resolution, self.resolution)
        if a.ndim != 4 or tuple(a.shape[1:]) != expected or not a.is_floating_point():
            raise ValueError(f"expected input images [B, {', '.join(map(str, expected))}] (float), "
                             f"got {tuple(a.shape)} {a.dtype}")  # fmt: skip
        skips = []
        h = a
        for layer in self.down:
            h = layer(h)
            skips.append(h)  # skips[i]: [B, chans[i], R / 2^(i+1), R / 2^(i+1)]
        h = self.up[-1](skips[-1])
        for i in range(self.depth - 2, -1, -1):
            h = self.up[i](torch.cat([skips[i], h], dim=1))
        return h


class PatchGANDiscriminator(nn.Module):
    """PatchGAN: scores every patch of ``cat(A, B)`` -> raw logits ``[B, 1, h, w]``.

    Args:
        channels: Channels of ``cat(A, B)`` (input channels + output channels).
        resolution: Image side R (for the input check; any size >= the patch stride works).
        width: Channels of the first conv (64 in the paper).
        n_layers: Stride-2 convolutions; sets the receptive field (see the module docstring). ``None`` = the
            default for ``resolution`` (:func:`default_patch_layers`).

    Attributes:
        config: The constructor arguments, saved by :func:`ganforge.models.io.save_pretrained`.
    """

    #: Batch norm mixes the samples of a batch: real and fake pairs go through D in separate passes.
    per_sample_forward: ClassVar[bool] = False

    def __init__(self, *, channels: int, resolution: int, width: int = 64, n_layers: int | None = None) -> None:
        super().__init__()
        self.channels = check_int("channels", channels, 1)
        self.resolution = check_int("resolution", resolution, 4)
        self.width = check_int("width", width, 1)
        n_layers = default_patch_layers(resolution) if n_layers is None else check_int("n_layers", n_layers, 1)
        self.n_layers = n_layers
        self.config: dict[str, Any] = {"channels": channels, "resolution": resolution, "width": width,
                                       "n_layers": n_layers}  # fmt: skip
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        ch = width
        for n in range(1, n_layers + 1):  # n_layers - 1 more stride-2 convs, then one stride-1
            out = width * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ch, out, 4, stride, 1, bias=False), nn.BatchNorm2d(out), nn.LeakyReLU(0.2)]
            ch = out
        layers.append(nn.Conv2d(ch, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.n_layers)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Scores the pairs (``a`` [B, Ca, R, R], ``b`` [B, Cb, R, R]) -> patch logits [B, 1, h, w]."""
        x = torch.cat([a, b], dim=1)
        if x.ndim != 4 or x.shape[1] != self.channels or not x.is_floating_point():
            raise ValueError(f"expected image pairs with {self.channels} channels together, got {tuple(x.shape)}")
        out: torch.Tensor = self.net(x)
        return out


MODELS.add(
    "pix2pix",
    ModelFamily(
        name="pix2pix",
        generator=UNetGenerator,
        discriminator=PatchGANDiscriminator,
        resolutions=(16, 32, 64, 128, 256, 512),
        description="pix2pix (Isola et al. 2017): U-Net G (skips, dropout), PatchGAN D; image pairs, width 64",
        data_kind="image pairs",
    ),
)
