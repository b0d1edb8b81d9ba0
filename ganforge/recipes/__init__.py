"""Methods, one file each, registered by name in ``RECIPES`` (``recipe.name``).

A recipe owns its config section (a :class:`~ganforge.config.RecipeConfig` with its paper defaults and checks),
says which task it trains, and builds a run's modules, optimisers, phases and sampler; the trainer runs the phases.
"""

from ganforge.recipes.base import RECIPES, Built, LossFn, Phase, Recipe
from ganforge.recipes.gan import GANConfig, GANHyper, GANRecipe

__all__ = ["RECIPES", "Built", "GANConfig", "GANHyper", "GANRecipe", "LossFn", "Phase", "Recipe"]
