"""The recipe contract: a registered method builds its modules, optimisers, phases and sampler for a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from ganforge.registry import Registry

if TYPE_CHECKING:
    from ganforge.config import RecipeConfig, RunConfig
    from ganforge.data import ImageArray, PointArray
    from ganforge.tasks import Task

LossFn = Callable[[int, int], tuple[Tensor, dict[str, Tensor]]]
"""``(step, repeat) -> (loss, stats)``: the scalar to minimise and detached scalar statistics."""


@dataclass
class Phase:
    """One optimisation phase of a training step.

    Attributes:
        name: Short name used in statistics (``D``, ``G``, ``D_r1``).
        module: The module whose parameters this phase trains; all others are frozen meanwhile.
        optimizer: Optimiser over ``module``'s parameters.
        loss: ``(step, repeat) -> (loss, stats)``.
        interval: Run on steps where ``step % interval == 0`` (lazy regularisation).
        repeats: Consecutive updates per run (``n_critic`` for the discriminator).
        after_update: Called after each optimiser step (e.g. WGAN weight clipping).
        records: A module whose forward graph this phase keeps for a later phase of the same step (the
            generator's output, reused by the G phase): its parameters require gradients during this phase
            too. This phase's own loss must not reach them (it uses the output detached).
    """

    name: str
    module: nn.Module
    optimizer: torch.optim.Optimizer
    loss: LossFn
    interval: int = 1
    repeats: int = 1
    after_update: Callable[[], None] | None = None
    records: nn.Module | None = None


@dataclass
class Built:
    """What :attr:`Recipe.build` returns for one run.

    Attributes:
        modules: The trained modules by name (``{"G": ..., "D": ...}``); checkpoints hold them under these names.
        optimizers: Their optimisers by the same names.
        phases: The phases of one training step, in execution order.
        sampler: Name of the module that makes samples (the EMA copy follows it; it is exported to ``generator/``).
        family: Model family of the sampler (written to its exported ``config.json``).
        noise: The recipe's random stream (latents, penalty interpolation); checkpointed for an exact resume.
        images_per_step: Real images one training step consumes (for images/s).
    """

    modules: dict[str, nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    phases: list[Phase]
    sampler: str
    family: str
    noise: torch.Generator
    images_per_step: int


@dataclass(frozen=True)
class Recipe:
    """A registered method.

    Attributes:
        name: Registry name (``recipe.name``).
        config: Its config section's dataclass (a :class:`~ganforge.config.RecipeConfig` with paper defaults).
        task: ``RunConfig -> Task``: what one sample of the trained model is.
        build: ``(RunConfig, data, device) -> Built``: the run's modules, optimisers, phases and sampler; raises
            :class:`~ganforge.errors.ConfigError` when the config and the data do not fit the method.
        description: One line for ``ganforge recipes``.
    """

    name: str
    config: type[RecipeConfig]
    task: Callable[[RunConfig], Task]
    build: Callable[[RunConfig, ImageArray | PointArray, torch.device], Built]
    description: str


RECIPES: Registry[Recipe] = Registry("recipe")
