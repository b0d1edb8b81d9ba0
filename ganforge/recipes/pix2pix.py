"""pix2pix (Isola et al. 2017): paired image-to-image translation with a conditional PatchGAN and an L1 term.

Per training step, on a batch of pairs (A, B):

1. ``D`` phase: ``fake = G(A)`` (kept for the G phase, as the reference code reuses it); D minimises
   ``0.5 · (L(D(A, B), real) + L(D(A, fake), fake))``, the paper's halved objective (§3.3), over every patch.
2. ``G`` phase: G minimises ``gan_weight · L(D(A, fake), real) + l1_weight · E|B - fake|`` (eq. 4, λ = 100),
   pixels in [-1, 1], through the D just updated.

``L`` is the ``vanilla`` GAN loss (``nonsaturating``: binary cross-entropy on the patch logits) or ``lsgan``
(least squares). ``gan_weight = 0`` trains G on the L1 term alone (no D: the paper's "L1 only" ablation);
``l1_weight = 0`` is its "cGAN only".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ganforge.config import RecipeConfig, RunConfig
from ganforge.config.schema import Checks
from ganforge.data import DeviceDataset, ImageArray, PointArray
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES, LossSpec
from ganforge.models import MODELS
from ganforge.models.pix2pix import PatchGANDiscriminator, UNetGenerator
from ganforge.recipes.base import RECIPES, Built, Phase, Recipe
from ganforge.tasks import TASKS, Task

#: The adversarial losses of the paper and its reference code.
PIX2PIX_LOSSES = ("nonsaturating", "lsgan")


@dataclass(frozen=True)
class Pix2PixConfig(RecipeConfig):
    """The pix2pix recipe (``recipe.name: pix2pix``): a U-Net G and a PatchGAN D on image pairs.

    Attributes:
        name: ``pix2pix`` (this recipe).
        loss: ``nonsaturating`` (the paper's vanilla GAN loss, binary cross-entropy on every patch) or ``lsgan``.
        l1_weight: Weight λ of the L1 distance between ``G(A)`` and ``B`` (100 in the paper; 0 = adversarial only).
        gan_weight: Weight of G's adversarial term (1; 0 = L1 only, with no discriminator).
        patch_layers: PatchGAN stride-2 layers, which set the patch a score sees (1: 16 px, 2: 34 px, 3: 70 px as
            in the paper); ``None`` = the largest patch at most half the image side.
        dropout: Dropout rate in the U-Net's three innermost decoder layers while training (0.5 in the paper).
    """

    name: str = "pix2pix"
    loss: str = "nonsaturating"
    l1_weight: float = 100.0
    gan_weight: float = 1.0
    patch_layers: int | None = None
    dropout: float = 0.5

    def checks(self) -> Checks:
        return [
            (self.loss in PIX2PIX_LOSSES, f"recipe.loss for pix2pix must be nonsaturating or lsgan, got {self.loss!r}"),
            (self.l1_weight >= 0 and self.gan_weight >= 0, "recipe.l1_weight and recipe.gan_weight must be >= 0"),
            (self.l1_weight > 0 or self.gan_weight > 0, "recipe.l1_weight and recipe.gan_weight cannot both be 0"),
            (self.patch_layers is None or self.patch_layers >= 1, "recipe.patch_layers must be >= 1 or null"),
            (0 <= self.dropout < 1, "recipe.dropout must be in [0, 1)"),
        ]

    def run_checks(self, cfg: RunConfig) -> Checks:
        return [
            (
                cfg.model.name == "pix2pix",
                f"recipe pix2pix trains the pix2pix networks: set model.name=pix2pix (got {cfg.model.name!r})",
            ),
            (not cfg.model.conditional, "recipe pix2pix is conditioned on its input image: leave model.conditional"),
        ]


class Pix2PixRecipe:
    """The phases of pix2pix (see the module docstring).

    Args:
        generator: ``G(A) -> B``, a :class:`~ganforge.models.pix2pix.UNetGenerator`.
        discriminator: ``D(A, B) -> patch logits``, or ``None`` when ``gan_weight == 0``.
        loss: The adversarial loss.
        data: Pairs on the training device (A and B side by side).
        batch_size: Pairs per step.
        l1_weight: λ of the L1 term.
        gan_weight: Weight of G's adversarial term.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module | None,
        loss: LossSpec,
        data: DeviceDataset,
        *,
        batch_size: int,
        l1_weight: float,
        gan_weight: float,
    ) -> None:
        self.G, self.D, self.loss, self.data = generator, discriminator, loss, data
        self.batch_size, self.l1_weight, self.gan_weight = batch_size, l1_weight, gan_weight
        # vanilla: the D loss spec sums the real and fake terms, and the paper halves it; lsgan's spec is halved.
        self._d_scale = 0.5 if loss.name != "lsgan" else 1.0
        self._kept: tuple[int, Tensor, Tensor, Tensor] | None = None  # (step, A, B, G(A) with its graph)

    def _pair(self, step: int) -> tuple[Tensor, Tensor]:
        pairs, _ = self.data.batch(step, self.batch_size)  # [B, C, H, 2W]
        w = pairs.shape[-1] // 2
        return pairs[..., :w].contiguous(), pairs[..., w:].contiguous()

    def d_loss(self, step: int, repeat: int) -> tuple[Tensor, dict[str, Tensor]]:
        assert self.D is not None
        a, b = self._pair(step)
        fake = self.G(a)  # kept with its graph for the G phase
        self._kept = (step, a, b, fake)
        real_scores = self.D(a, b).flatten()  # every patch
        fake_scores = self.D(a, fake.detach()).flatten()
        loss = self._d_scale * self.loss.d_loss(real_scores, fake_scores)
        with torch.no_grad():
            t = self.loss.threshold
            stats = {
                "loss_D": loss.detach(),
                "D(x)": self.loss.to_prob(real_scores).mean(),
                "D(G(z))": self.loss.to_prob(fake_scores).mean(),
                "acc_real": (real_scores > t).float().mean(),
                "acc_fake": (fake_scores <= t).float().mean(),
            }
        return loss, stats

    def g_loss(self, step: int, repeat: int) -> tuple[Tensor, dict[str, Tensor]]:
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] == step:
            _, a, b, fake = kept
        else:  # no D phase (L1 only)
            a, b = self._pair(step)
            fake = self.G(a)
        l1 = (fake - b).abs().mean()
        loss = self.l1_weight * l1
        stats = {"l1": l1.detach()}
        if self.D is not None and self.gan_weight > 0:
            adversarial = self.loss.g_loss(self.D(a, fake).flatten())
            loss = loss + self.gan_weight * adversarial
            stats["loss_G_gan"] = adversarial.detach()
        stats["loss_G"] = loss.detach()
        return loss, stats

    def phases(self, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer | None) -> list[Phase]:
        phases = []
        if self.D is not None and opt_d is not None:
            phases.append(Phase("D", self.D, opt_d, self.d_loss, records=self.G))
        phases.append(Phase("G", self.G, opt_g, self.g_loss))
        return phases


def pix2pix_task(cfg: RunConfig) -> Task:
    """``image -> image``."""
    return TASKS.get("translation")


def build_pix2pix(cfg: RunConfig, array: ImageArray | PointArray, device: torch.device) -> Built:
    """U-Net G and PatchGAN D for the pairs' size, Adam optimisers (the paper: 2e-4, β 0.5 / 0.999), the phases.

    Raises:
        ConfigError: The data are not pairs of square power-of-two images.
    """
    rc = cfg.recipe
    if not isinstance(rc, Pix2PixConfig):
        raise TypeError(f"the pix2pix recipe needs a Pix2PixConfig section, got {type(rc).__name__}")
    if isinstance(array, PointArray) or array.images.shape[2] != 2 * array.images.shape[1]:
        shape = "2D points" if isinstance(array, PointArray) else f"images of {list(array.images.shape[1:3])} px"
        raise ConfigError(
            f"recipe pix2pix trains on image pairs (A and B side by side), but {array.name} holds {shape}; use "
            "data.name=pairs data.path=DIR (A|B images or A/ and B/ folders), edges2mnist or edges2fashion"
        )
    _, h, _, c = array.images.shape
    torch.manual_seed(cfg.train.seed)  # weight initialisation
    family = MODELS.get("pix2pix")
    G = family.generator(in_channels=c, out_channels=c, resolution=h, width=cfg.model.g_width, dropout=rc.dropout)
    assert isinstance(G, UNetGenerator)
    D: nn.Module | None = None
    if rc.gan_weight > 0:
        D = family.discriminator(channels=2 * c, resolution=h, width=cfg.model.d_width, n_layers=rc.patch_layers)
        assert isinstance(D, PatchGANDiscriminator)
        D = D.to(device)
    G = G.to(device)
    data = DeviceDataset(array, device, seed=cfg.train.seed)
    noise = torch.Generator(device=device).manual_seed(cfg.train.seed + 1)  # unused by the phases; checkpointed
    recipe = Pix2PixRecipe(G, D, LOSSES.get(rc.loss), data, batch_size=cfg.optim.batch, l1_weight=rc.l1_weight,
                           gan_weight=rc.gan_weight)  # fmt: skip
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    fused = device.type in ("cpu", "cuda")
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas, fused=fused)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas, fused=fused) if D is not None else None
    modules: dict[str, nn.Module] = {"G": G} if D is None else {"G": G, "D": D}
    optimizers: dict[str, torch.optim.Optimizer] = {"G": opt_g} if opt_d is None else {"G": opt_g, "D": opt_d}
    return Built(modules=modules, optimizers=optimizers, phases=recipe.phases(opt_g, opt_d), sampler="G",
                 family="pix2pix", noise=noise, images_per_step=cfg.optim.batch)  # fmt: skip


RECIPES.add(
    "pix2pix",
    Recipe(
        name="pix2pix",
        config=Pix2PixConfig,
        task=pix2pix_task,
        build=build_pix2pix,
        description="pix2pix (Isola et al. 2017): paired translation, U-Net G, PatchGAN D, adversarial + 100 * L1",
    ),
)
