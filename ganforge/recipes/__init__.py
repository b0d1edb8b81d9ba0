"""Methods, one file each, registered by name in ``RECIPES`` (``recipe.name``).

A recipe owns its config section (a :class:`~ganforge.config.RecipeConfig` with its paper defaults and checks),
says which task it trains, and builds a run's modules, optimisers, phases and sampler; the trainer runs the phases.
"""

# cgan, acgan and projection build on the gan recipe; pix2pix stands alone. Importing registers each.
from ganforge.recipes.acgan import ACGANConfig, ACGANRecipe
from ganforge.recipes.base import RECIPES, Built, LossFn, Phase, Recipe
from ganforge.recipes.cgan import CGANConfig
from ganforge.recipes.gan import GANConfig, GANHyper, GANRecipe
from ganforge.recipes.pix2pix import Pix2PixConfig, Pix2PixRecipe
from ganforge.recipes.projection import ProjectionConfig

__all__ = [
    "RECIPES",
    "ACGANConfig",
    "ACGANRecipe",
    "Built",
    "CGANConfig",
    "GANConfig",
    "GANHyper",
    "GANRecipe",
    "LossFn",
    "Phase",
    "Pix2PixConfig",
    "Pix2PixRecipe",
    "ProjectionConfig",
    "Recipe",
]
