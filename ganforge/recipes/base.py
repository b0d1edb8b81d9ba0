"""What a recipe hands the trainer: phases, each with a module, an optimiser and a loss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

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
