"""cGAN with a projection discriminator (Miyato & Koyama 2018) and a conditional-batch-norm generator.

D scores ``psi(phi(x)) + embed(y)^T phi(x)`` (:mod:`ganforge.nn.projection`); G's batch norms take their scale
and shift from the label (:class:`ganforge.nn.ConditionalBatchNorm2d`, de Vries et al. 2017). The paper trains
it with the hinge loss, which is this recipe's default.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.config import RunConfig
from ganforge.data import ImageArray, PointArray
from ganforge.recipes.base import RECIPES, Built, Recipe
from ganforge.recipes.gan import ConditionalGANConfig, build_conditional, gan_task


@dataclass(frozen=True)
class ProjectionConfig(ConditionalGANConfig):
    """The projection-discriminator recipe (``recipe.name: projection``): conditional BN in G, projection in D.

    Its fields are those of the ``gan`` recipe, with the paper's hinge loss as the default; ``pack`` must stay 1.

    Attributes:
        name: ``projection`` (this recipe).
        loss: Registered adversarial loss; ``hinge`` as in Miyato & Koyama 2018.
    """

    name: str = "projection"
    loss: str = "hinge"


def build_projection(cfg: RunConfig, array: ImageArray | PointArray, device: torch.device) -> Built:
    """G with conditional batch norm, D with the class projection, the ``gan`` recipe's phases."""
    return build_conditional(cfg, array, device, ("cbn", "projection"))


RECIPES.add(
    "projection",
    Recipe(
        name="projection",
        config=ProjectionConfig,
        task=gan_task,
        build=build_projection,
        description="projection discriminator + conditional-BN generator (Miyato & Koyama 2018), hinge loss",
    ),
)
