"""cGAN (Mirza & Osindero 2014): the class label is an input of both networks.

G takes ``[z, embed(y)]`` (a learned label embedding joins the latent); D sees the image with ``K`` one-hot
label planes appended to its channels (for the fully-connected family: the one-hot vector joins the flattened
image). The loss is the adversarial loss of ``recipe.loss`` on ``D(x, y)``: D judges an image together with its
label, so G only fools it by drawing the class it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.config import RunConfig
from ganforge.data import ImageArray, PointArray
from ganforge.recipes.base import RECIPES, Built, Recipe
from ganforge.recipes.gan import ConditionalGANConfig, build_conditional, gan_task


@dataclass(frozen=True)
class CGANConfig(ConditionalGANConfig):
    """The cGAN recipe (``recipe.name: cgan``): label embedding into G, one-hot label planes into D.

    Its fields are those of the ``gan`` recipe (loss, R1, WGAN-GP, ``n_critic``, ...); ``pack`` must stay 1.

    Attributes:
        name: ``cgan`` (this recipe).
    """

    name: str = "cgan"


def build_cgan(cfg: RunConfig, array: ImageArray | PointArray, device: torch.device) -> Built:
    """G with a label embedding, D with label planes, the ``gan`` recipe's phases."""
    return build_conditional(cfg, array, device, ("embed", "concat"))


RECIPES.add(
    "cgan",
    Recipe(
        name="cgan",
        config=CGANConfig,
        task=gan_task,
        build=build_cgan,
        description="conditional GAN (Mirza & Osindero 2014): label embedding into G, one-hot label planes into D",
    ),
)
