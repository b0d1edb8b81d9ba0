"""The *reference loop* of the throughput and time-to-quality suites: a GAN step written the way tutorials write it.

As PyTorch-GAN's ``dcgan.py`` does: a ``torch.utils.data.DataLoader`` over a map-style dataset
that converts one uint8 image at a time (``ToTensor`` + ``Normalize``), fp32, contiguous tensors, the G step
then the D step on ``G(z).detach()``, BCE-with-logits (the non-saturating loss) and ``.item()`` on both losses
every step. It trains the preset's own G and D with the tutorials' Adam settings (``TUTORIAL_ADAM``: lr 2e-4 for
both networks, betas 0.5 / 0.999, as PyTorch-GAN's ``gan.py`` and ``dcgan.py`` default to), their batch size
(``TUTORIAL_BATCH``, 64) and no regulariser, whatever the preset's own learning rates, batch size and R1 weight
are: the reference is the tutorial as people run it. Its data and architecture are the preset's, with any
``data.*`` / ``model.*`` overrides given (``data.limit``, ``model.g_width``, ...), loaded as ``ganforge train``
loads them, so that a race on a slice or a narrower model stays a race on the same data and networks.
On a GPU it does what those scripts do there: the models on the device, each batch copied to it as it comes out
of the loader (``imgs.type(Tensor)``), the latents drawn on the device.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ganforge.api import _load_data
from ganforge.config import load_preset, resolve_auto
from ganforge.data import ImageArray
from ganforge.models import MODELS


class TutorialMNIST(Dataset[tuple[torch.Tensor, int]]):
    """Per-item conversion, as ``transforms.Compose([ToTensor(), Normalize([0.5], [0.5])])`` does."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[i]).permute(2, 0, 1).float().div(255.0)  # ToTensor
        return (x - 0.5) / 0.5, int(self.labels[i])  # Normalize


TUTORIAL_ADAM: dict[str, Any] = {"lr": 2e-4, "betas": (0.5, 0.999)}  # PyTorch-GAN's --lr, --b1, --b2 defaults
TUTORIAL_BATCH = 64  # PyTorch-GAN's --batch_size default, whatever the preset's own batch size is


class ReferenceLoop:
    """The tutorial loop over preset ``name``'s G, D and data, at ``batch`` images per step (``TUTORIAL_ADAM``), on
    ``device``.

    Attributes:
        G: The generator being trained (what the time-to-quality suite samples).
        losses: ``(g_loss, d_loss)`` of the last step, read with ``.item()`` as tutorials print them.
        train_images: How many training images the loader draws from.
        overrides: The ``data.*`` / ``model.*`` overrides it took.
    """

    def __init__(
        self, name: str, *, batch: int, seed: int, device: str | torch.device = "cpu",
        overrides: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self.overrides = {k: v for k, v in (overrides or {}).items() if k.startswith(("data.", "model."))}
        cfg = resolve_auto(load_preset(name, self.overrides), torch.device(device).type)
        array = _load_data(cfg)
        if not isinstance(array, ImageArray) or array.labels is None:
            raise ValueError(f"preset {name!r} has no labelled image data")
        if len(array.images) < batch:  # the loader drops the last partial batch: it would yield nothing
            raise ValueError(f"the reference loop's batch is {batch} images but {array.name} has {len(array.images)}; "
                             f"raise data.limit to at least {batch}")  # fmt: skip
        family = MODELS.get(cfg.model.name)
        torch.manual_seed(seed)
        c, h = array.channels, array.resolution[0]
        self.G: nn.Module = family.generator(z_dim=cfg.model.z_dim, channels=c, resolution=h, width=cfg.model.g_width)
        self.D: nn.Module = family.discriminator(
            channels=c, resolution=h, width=cfg.model.d_width, norm=cfg.model.d_norm
        )
        self.device = torch.device(device)
        self.G, self.D = self.G.to(self.device), self.D.to(self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), **TUTORIAL_ADAM)
        self.opt_d = torch.optim.Adam(self.D.parameters(), **TUTORIAL_ADAM)
        dataset = TutorialMNIST(array.images, array.labels)
        self.loader = DataLoader(dataset, batch_size=batch, shuffle=True, drop_last=True)
        self.train_images = len(dataset)
        self.batch, self.z_dim = batch, cfg.model.z_dim
        self.ones, self.zeros = torch.ones(batch, device=self.device), torch.zeros(batch, device=self.device)
        self._batches: Iterator[tuple[torch.Tensor, torch.Tensor]] = iter(self.loader)
        self.losses = (0.0, 0.0)

    def _next_real(self) -> torch.Tensor:
        try:
            real, _ = next(self._batches)
        except StopIteration:  # a new epoch, reshuffled, as `for epoch in range(n_epochs)` does
            self._batches = iter(self.loader)
            real, _ = next(self._batches)
        return real.to(self.device)

    def step(self) -> None:
        real = self._next_real()
        z = torch.randn(self.batch, self.z_dim, device=self.device)
        self.opt_g.zero_grad()
        fake = self.G(z)
        g_loss = F.binary_cross_entropy_with_logits(self.D(fake), self.ones)
        g_loss.backward()
        self.opt_g.step()
        self.opt_d.zero_grad()
        d_loss = 0.5 * (
            F.binary_cross_entropy_with_logits(self.D(real), self.ones)
            + F.binary_cross_entropy_with_logits(self.D(fake.detach()), self.zeros)
        )
        d_loss.backward()
        self.opt_d.step()
        self.losses = (g_loss.item(), d_loss.item())  # the per-step logging every tutorial does
