"""The adversarial recipe: alternating discriminator and generator phases.

Per training step (Goodfellow et al. 2014, Algorithm 1, with the usual refinements):

1. ``D`` phase, ``n_critic`` times: real batch ``x``, fake ``G(z)`` (no grad into G);
   minimise the loss's ``d_loss(D(x), D(G(z)))`` (+ λ·GP for WGAN-GP); clip weights for WGAN. When D scores
   every sample on its own (:func:`per_sample`), ``x`` and ``G(z)`` go through D as one batch: the same
   scores and gradients up to float rounding, in half the kernel calls.
2. ``D_r1`` phase, every ``r1_interval`` steps when ``r1_gamma > 0``: lazy R1 on real data.
3. ``G`` phase: minimise ``g_loss(D(G(z)))`` with D frozen, on the updated D. ``G(z)`` is the last D
   phase's fake (same ``z``, same labels), whose forward graph the D phase kept: one generator forward per
   step instead of two, as in PyTorch's DCGAN example. Alternating updates all the same: G's gradient is
   taken through the D that has just been updated.

The recipe owns no loop, device or precision logic: it only says what each phase's loss is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganforge.config import RecipeConfig, RunConfig
from ganforge.config.schema import Checks
from ganforge.data import DeviceDataset, ImageArray, PointArray
from ganforge.errors import ConfigError
from ganforge.losses import LOSSES, LossSpec
from ganforge.losses.regularizers import clip_weights_, gradient_penalty, r1_penalty
from ganforge.models import MODELS
from ganforge.recipes.base import RECIPES, Built, Phase, Recipe
from ganforge.tasks import Task, generator_task


@dataclass(frozen=True)
class GANConfig(RecipeConfig):
    """The adversarial recipe (``recipe.name: gan``): its loss and regularisers.

    Attributes:
        name: ``gan`` (this recipe).
        loss: Registered adversarial loss (``minimax``, ``nonsaturating``, ``lsgan``, ``wgan``, ``wgan-gp``,
            ``hinge``; see ``ganforge losses``).
        gp_weight: WGAN-GP gradient-penalty weight λ; ``None`` = the loss's default (10 for ``wgan-gp``, else 0).
        r1_gamma: R1 penalty weight γ on real data (Mescheder et al. 2018); 0 disables it.
        r1_interval: Apply R1 every this many steps (lazy regularisation, scaled by the interval).
        weight_clip: WGAN weight clipping bound c; ``None`` = the loss's default (0.01 for ``wgan``, else off).
        n_critic: Discriminator steps per generator step (5 for WGAN / WGAN-GP).
        pack: PacGAN packing (Lin et al. 2018): D judges ``pack`` samples at once, concatenated along the
            channels (points: along the coordinates), so a batch of ``optim.batch_size`` samples is
            ``batch_size / pack`` decisions; penalises mode collapse. 1 = off.
        share_fake: The G step trains on the fake images of the (last) D step, through the updated D: the same
            ``z`` and labels, one generator forward per step instead of two (PyTorch's DCGAN example does the
            same). ``false``: the G step draws a new ``z`` (and uniform labels for a conditional G) and runs G
            again, as it always does under CUDA graphs (``train.compile=reduce-overhead`` on CUDA).
    """

    name: str = "gan"
    loss: str = "nonsaturating"
    gp_weight: float | None = None
    r1_gamma: float = 0.0
    r1_interval: int = 16
    weight_clip: float | None = None
    n_critic: int = 1
    pack: int = 1
    share_fake: bool = True

    def checks(self) -> Checks:
        return [
            (self.n_critic >= 1, "recipe.n_critic must be >= 1"),
            (self.pack >= 1, "recipe.pack must be >= 1 (1 = no packing)"),
            (self.r1_gamma >= 0, "recipe.r1_gamma must be >= 0"),
            (self.r1_interval >= 1, "recipe.r1_interval must be >= 1"),
            (self.gp_weight is None or self.gp_weight >= 0, "recipe.gp_weight must be >= 0"),
            (self.weight_clip is None or self.weight_clip > 0, "recipe.weight_clip must be > 0"),
        ]

    def run_checks(self, cfg: RunConfig) -> Checks:
        batch = cfg.optim.batch_size
        return [
            (
                batch == "auto" or batch % self.pack == 0,  # auto: checked once resolved (resolve_auto)
                f"optim.batch_size={batch} must be a multiple of recipe.pack={self.pack}",
            ),
            (self.pack == 1 or not cfg.model.conditional, "recipe.pack > 1 needs an unconditional model"),
        ]

    def check_names(self) -> None:
        LOSSES.get(self.loss)


#: torch layers whose training-mode forward treats each sample on its own and changes no state.
_PER_SAMPLE_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Sequential, nn.ModuleList, nn.Identity, nn.Flatten, nn.Linear, nn.Embedding, nn.Conv2d, nn.ConvTranspose2d,
    nn.LeakyReLU, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GroupNorm, nn.LayerNorm, nn.AvgPool2d,
)  # fmt: skip


def per_sample(module: nn.Module) -> bool:
    """Whether a training-mode forward of ``module`` scores every sample on its own and changes no state.

    True only when every submodule is one of :data:`_PER_SAMPLE_LAYERS` or a class that itself declares
    ``per_sample_forward = True`` (ganforge's discriminators and their blocks, whose own forward code mixes no
    samples; a subclass does not inherit the claim, since its forward may add, say, minibatch statistics).
    False for batch norm (batch statistics, running averages), spectral norm (one power iteration per
    forward), dropout (its random stream) and any module this function does not know. Then one forward over a
    concatenated batch equals two forwards over its halves, up to float rounding.
    """
    return all(isinstance(m, _PER_SAMPLE_LAYERS) or vars(type(m)).get("per_sample_forward") is True
               for m in module.modules())  # fmt: skip


@dataclass(frozen=True)
class GANHyper:
    """Recipe hyper-parameters, resolved from the run config.

    Attributes:
        batch_size: Images per phase update.
        z_dim: Generator latent size.
        n_critic: Discriminator updates per generator update.
        gp_weight: WGAN-GP λ (0 disables the penalty).
        weight_clip: WGAN clipping bound, or ``None``.
        r1_gamma: R1 weight γ (0 disables the phase).
        r1_interval: Steps between R1 phases.
        num_classes: Classes to condition on (0 = unconditional).
        pack: PacGAN packing degree: D sees ``pack`` consecutive samples concatenated along dim 1.
        share_fake: Whether the G phase reuses the last D phase's fake (one G forward per step); ``False``
            draws a new ``z`` (and, for a conditional G, uniform labels) and runs G again in the G phase.
            Ignored under CUDA graphs (``reduce-overhead`` on CUDA), which may overwrite a graph's outputs.
        aux_weight: Weight of the auxiliary classification loss (ACGAN); 0 for the other recipes.
    """

    batch_size: int
    z_dim: int
    n_critic: int = 1
    gp_weight: float = 0.0
    weight_clip: float | None = None
    r1_gamma: float = 0.0
    r1_interval: int = 16
    num_classes: int = 0
    pack: int = 1
    share_fake: bool = True
    aux_weight: float = 0.0


class GANRecipe:
    """Builds the phases of a (conditional) GAN.

    Args:
        generator: ``G(z [B, z_dim], labels [B] | None) -> [B, C, H, W]`` in [-1, 1].
        discriminator: ``D(x, labels | None) -> scores [B]``.
        loss: The adversarial loss.
        data: Real images on the training device.
        hyper: Recipe hyper-parameters.
        noise: Generator for latents and penalty interpolation (its state is checkpointed).
        compile_mode: ``none``, or the ``torch.compile`` mode of G's and D's forwards in the adversarial terms
            (``train.compile``); the R1 / gradient penalties (double backward) use the eager D.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: LossSpec,
        data: DeviceDataset,
        hyper: GANHyper,
        noise: torch.Generator,
        compile_mode: str = "none",
    ) -> None:
        self.G = generator
        self.D = discriminator
        # What the adversarial terms call: the modules themselves, or compiled forwards sharing their parameters
        # (checkpoints, EMA and the double-backward penalties keep using the modules).
        self._G: Callable[..., Tensor] = self.G
        self._D: Callable[..., Tensor] = self.D
        if compile_mode != "none":
            mode = None if compile_mode == "default" else compile_mode
            self._G, self._D = torch.compile(generator, mode=mode), torch.compile(discriminator, mode=mode)
        self._mark_step = compile_mode == "reduce-overhead" and data.images.device.type == "cuda"
        self.loss = loss
        self.data = data
        self.hyper = hyper
        self.noise = noise
        self.device = data.images.device
        self._channels_last = data.images.is_contiguous(memory_format=torch.channels_last) and data.images.ndim == 4
        self._one_d_pass = per_sample(discriminator)  # real and fake through D as one batch
        self._share_fake = hyper.share_fake and not self._mark_step
        # (step, G(z) with its graph, labels): the last D phase's fake, for the G phase of the same step.
        self._kept: tuple[int, Tensor, Tensor | None] | None = None

    # --------------------------------------------------------------------------------- helpers
    def _real(self, index: int) -> tuple[Tensor, Tensor | None]:
        x, y = self.data.batch(index, self.hyper.batch_size)  # [B, C, H, W] in [-1, 1], [B] | None
        return x, (y if self.hyper.num_classes else None)

    def _pack(self, x: Tensor) -> Tensor:
        """``[B, C, ...]`` -> ``[B / pack, pack · C, ...]`` (Lin et al. 2018): each D input holds ``pack`` samples."""
        m = self.hyper.pack
        if m == 1:
            return x
        packed = x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])
        return packed.contiguous(memory_format=torch.channels_last) if x.ndim == 4 and self._channels_last else packed

    def _latents(self, labels: Tensor | None) -> Tensor:
        n = self.hyper.batch_size if labels is None else labels.shape[0]
        return torch.randn(n, self.hyper.z_dim, device=self.device, generator=self.noise)  # [B, z_dim]

    def _stats(self, real_scores: Tensor, fake_scores: Tensor) -> dict[str, Tensor]:
        real_scores, fake_scores = real_scores.detach().float(), fake_scores.detach().float()
        t = self.loss.threshold
        return {
            "D(x)": self.loss.to_prob(real_scores).mean(),
            "D(G(z))": self.loss.to_prob(fake_scores).mean(),
            "acc_real": (real_scores > t).float().mean(),
            "acc_fake": (fake_scores <= t).float().mean(),
        }

    # ---------------------------------------------------------------------------------- phases
    def d_loss(self, step: int, repeat: int) -> tuple[Tensor, dict[str, Tensor]]:
        if self._mark_step:  # CUDA graphs: the previous phase's outputs may be overwritten from here on
            torch.compiler.cudagraph_mark_step_begin()
        real, labels = self._real(step * self.hyper.n_critic + repeat)
        keep = self._share_fake and repeat == self.hyper.n_critic - 1
        with torch.set_grad_enabled(keep):  # G's parameters require grad in this phase only if kept
            fake = self._G(self._latents(labels), labels)  # [B, C, H, W]
        if keep:
            self._kept = (step, fake, labels)
        fake = fake.detach()  # D's loss does not reach G
        real, fake = self._pack(real), self._pack(fake)  # what D sees: [B / pack, pack · C, H, W]
        real_scores, fake_scores, extra, stats = self._d_terms(real, fake, labels)
        loss = self.loss.d_loss(real_scores, fake_scores)
        stats = {"loss_D": loss.detach(), **self._stats(real_scores, fake_scores), **stats}
        if extra is not None:
            loss = loss + extra
        if self.hyper.gp_weight > 0:
            # Gulrajani et al. 2017, eq. 3: λ E[(||∇D(x̂)||₂ − 1)²] on real/fake interpolates.
            gp = gradient_penalty(lambda x: self.D(x, labels), real, fake, generator=self.noise)
            loss = loss + self.hyper.gp_weight * gp
            stats["gp"] = gp.detach()
        return loss, stats

    def _d_terms(
        self, real: Tensor, fake: Tensor, labels: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None, dict[str, Tensor]]:
        """D's raw scores of the real and the fake batch, and a term its loss adds (none here) with its stats."""
        if self._one_d_pass:  # one batch of 2B: fewer, larger kernel calls (same scores: D is per-sample)
            both_labels = None if labels is None else torch.cat([labels, labels])
            real_scores, fake_scores = self._D(torch.cat([real, fake]), both_labels).chunk(2)  # [B / pack] each
        else:
            real_scores = self._D(real, labels)  # [B / pack]
            fake_scores = self._D(fake, labels)  # [B / pack]
        return real_scores, fake_scores, None, {}

    def _g_terms(self, fake: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        """D's raw scores of G's batch, and a term G's loss adds (none here) with its stats."""
        return self._D(self._pack(fake), labels), None, {}  # [B / pack], D frozen by the trainer

    def r1_loss(self, step: int, repeat: int) -> tuple[Tensor, dict[str, Tensor]]:
        real, labels = self._real(step * self.hyper.n_critic + repeat)
        real = self._pack(real).detach().requires_grad_(True)  # R1 on what D sees: packed inputs
        scores = self.D(real, labels)
        # Mescheder et al. 2018, eq. 9: γ/2 E[||∇D(x)||²], scaled by the interval (lazy regularisation).
        penalty = r1_penalty(scores, real)
        return 0.5 * self.hyper.r1_gamma * self.hyper.r1_interval * penalty, {"r1": penalty.detach()}

    def g_loss(self, step: int, repeat: int) -> tuple[Tensor, dict[str, Tensor]]:
        kept, self._kept = self._kept, None
        if kept is not None and kept[0] == step:
            _, fake, labels = kept  # the D phase's G(z), graph included
        else:
            labels = None
            if self.hyper.num_classes:
                labels = torch.randint(
                    0, self.hyper.num_classes, (self.hyper.batch_size,), device=self.device, generator=self.noise
                )
            if self._mark_step:
                torch.compiler.cudagraph_mark_step_begin()
            fake = self._G(self._latents(labels), labels)  # [B, C, H, W]
        fake_scores, extra, stats = self._g_terms(fake, labels)
        loss = self.loss.g_loss(fake_scores)
        stats = {"loss_G": loss.detach(), **stats}
        return (loss if extra is None else loss + extra), stats

    def phases(self, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer) -> list[Phase]:
        """The phases in execution order."""
        clip = self.hyper.weight_clip
        after = (lambda: clip_weights_(self.D, clip)) if clip is not None else None
        records = self.G if self._share_fake else None  # G's graph, kept for the G phase
        phases = [
            Phase("D", self.D, opt_d, self.d_loss, repeats=self.hyper.n_critic, after_update=after, records=records)
        ]
        if self.hyper.r1_gamma > 0:
            phases.append(Phase("D_r1", self.D, opt_d, self.r1_loss, interval=self.hyper.r1_interval))
        phases.append(Phase("G", self.G, opt_g, self.g_loss))
        return phases


def _gan_config(cfg: RunConfig) -> GANConfig:
    if not isinstance(cfg.recipe, GANConfig):
        raise TypeError(f"the gan recipe needs a GANConfig section, got {type(cfg.recipe).__name__}")
    return cfg.recipe


def gan_task(cfg: RunConfig) -> Task:
    """``(z, class) -> image`` with ``model.conditional``, else ``z -> image``."""
    return generator_task(1 if cfg.model.conditional else 0)


def build_gan(cfg: RunConfig, array: ImageArray | PointArray, device: torch.device) -> Built:
    """G and D of ``model.name``'s family for the data's shape, their Adam optimisers and the phases.

    Raises:
        ConfigError: The model family does not fit the data (points vs images, resolution, square images).
    """
    return build_adversarial(cfg, array, device)


def build_adversarial(
    cfg: RunConfig,
    array: ImageArray | PointArray,
    device: torch.device,
    *,
    conditioning: tuple[str, str] | None = None,
    recipe_class: type[GANRecipe] = GANRecipe,
    aux_weight: float = 0.0,
) -> Built:
    """:func:`build_gan` for the adversarial recipes that share its phases.

    Args:
        conditioning: ``(generator, discriminator)`` ways of taking the label (``embed`` | ``cbn``,
            ``projection`` | ``concat`` | ``auxiliary``) for a conditional model; ``None``: the family's defaults.
        recipe_class: :class:`GANRecipe` or a subclass that changes its loss terms.
        aux_weight: :attr:`GANHyper.aux_weight`.
    """
    rc = _gan_config(cfg)
    family = MODELS.get(cfg.model.name)
    spec = LOSSES.get(rc.loss)
    kind = "points" if isinstance(array, PointArray) else "images"
    if family.data_kind != kind:
        fitting = [n for n in MODELS.names() if MODELS.get(n).data_kind == kind]
        raise ConfigError(
            f"model {family.name!r} is for {family.data_kind}, but {array.name} holds {kind}; "
            f"use model.name={' or '.join(fitting)}"
        )
    h, w, c = (1, 1, array.dim) if isinstance(array, PointArray) else array.images.shape[1:]
    if h != w:
        raise ConfigError(f"images are {h}x{w}; GAN models here need square images: set data.resolution")
    if not family.supports(h):
        sizes = ", ".join(map(str, family.resolutions))
        raise ConfigError(
            f"model {family.name!r} supports resolutions {sizes}, but the images are {h}x{w}; "
            f"set data.resolution to one of {sizes} or pick another model"
        )
    num_classes = array.num_classes if cfg.model.conditional else 0
    g_cond: dict[str, Any] = {}
    d_cond: dict[str, Any] = {}
    if conditioning is not None and num_classes > 0:
        g_cond, d_cond = {"conditioning": conditioning[0]}, {"conditioning": conditioning[1]}
    torch.manual_seed(cfg.train.seed)  # weight initialisation
    # Point models work in standardised units: the data's coordinate std is their fixed output / input scale.
    scale: dict[str, Any] = {"scale": float(array.points.std())} if isinstance(array, PointArray) else {}
    G = family.generator(
        z_dim=cfg.model.z_dim,
        channels=c,
        resolution=h,
        width=cfg.model.g_width,
        num_classes=num_classes,
        **scale,
        **g_cond,
    )
    D = family.discriminator(
        channels=c * rc.pack,  # PacGAN: `pack` samples concatenated along the channels
        resolution=h,
        width=cfg.model.d_width,
        num_classes=num_classes,
        spectral_norm=cfg.model.spectral_norm,
        norm=cfg.model.d_norm,
        **scale,
        **d_cond,
    )
    memory_format = torch.channels_last if cfg.train.channels_last else torch.contiguous_format
    G = G.to(device).to(memory_format=memory_format)  # type: ignore[call-overload]
    D = D.to(device).to(memory_format=memory_format)  # type: ignore[call-overload]
    data = DeviceDataset(array, device, seed=cfg.train.seed, channels_last=cfg.train.channels_last)
    noise = torch.Generator(device=device).manual_seed(cfg.train.seed + 1)
    hyper = GANHyper(
        batch_size=cfg.optim.batch,
        z_dim=cfg.model.z_dim,
        n_critic=rc.n_critic,
        gp_weight=spec.gradient_penalty if rc.gp_weight is None else rc.gp_weight,
        weight_clip=spec.weight_clip if rc.weight_clip is None else rc.weight_clip,
        r1_gamma=rc.r1_gamma,
        r1_interval=rc.r1_interval,
        num_classes=num_classes,
        pack=rc.pack,
        share_fake=rc.share_fake,
        aux_weight=aux_weight,
    )
    recipe = recipe_class(G, D, spec, data, hyper, noise, compile_mode=cfg.train.compile)
    betas = (cfg.optim.beta1, cfg.optim.beta2)
    # One fused kernel per optimiser step instead of a dozen passes over every parameter (several times faster
    # for the MLP GAN's 2M parameters on a CPU). Same update rule as the default.
    fused = device.type in ("cpu", "cuda")
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=betas, fused=fused)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=betas, fused=fused)
    return Built(
        modules={"G": G, "D": D},
        optimizers={"G": opt_g, "D": opt_d},
        phases=recipe.phases(opt_g, opt_d),
        sampler="G",
        family=family.name,
        noise=noise,
        images_per_step=cfg.optim.batch * rc.n_critic,
    )


@dataclass(frozen=True)
class ConditionalGANConfig(GANConfig):
    """The base of the class-conditional recipes' sections (cGAN, ACGAN, projection): the ``gan`` recipe's fields,
    and the check that the model is conditional."""

    def run_checks(self, cfg: RunConfig) -> Checks:
        name = cfg.recipe.name
        return [
            *super().run_checks(cfg),
            (
                cfg.model.conditional,
                f"recipe {name} is class-conditional: set model.conditional=true (and train on labelled data)",
            ),
        ]


def build_conditional(
    cfg: RunConfig,
    array: ImageArray | PointArray,
    device: torch.device,
    conditioning: tuple[str, str],
    **kwargs: Any,
) -> Built:
    """:func:`build_adversarial` for a class-conditional recipe: labelled images and a family that can take
    the labels the recipe's way; each misfit is a ConfigError naming the fix."""
    name = cfg.recipe.name
    if isinstance(array, PointArray):
        raise ConfigError(f"recipe {name} trains on labelled images, but {array.name} holds 2D points")
    if array.num_classes < 2:
        raise ConfigError(
            f"recipe {name} is class-conditional, but {array.name} has no class labels; use a labelled dataset "
            "(mnist, fashion-mnist, an npz with a 'y' array, a folder whose subfolders are classes)"
        )
    family = MODELS.get(cfg.model.name)
    allowed = family.generator_conditionings
    if conditioning[0] not in allowed:
        fitting = [n for n in MODELS.names() if conditioning[0] in MODELS.get(n).generator_conditionings]
        raise ConfigError(
            f"recipe {name} feeds the label to the generator as {conditioning[0]!r}, but the {family.name} "
            f"generator takes {' or '.join(allowed) or 'no labels'}; use model.name={' or '.join(fitting)}"
        )
    return build_adversarial(cfg, array, device, conditioning=conditioning, **kwargs)


RECIPES.add(
    "gan",
    Recipe(
        name="gan",
        config=GANConfig,
        task=gan_task,
        build=build_gan,
        description="adversarial training: alternating D and G phases (Goodfellow et al. 2014), any loss and model",
    ),
)
