"""Step logic per method: which phases run and what each phase's loss is."""

from ganforge.recipes.base import LossFn, Phase
from ganforge.recipes.gan import GANHyper, GANRecipe

__all__ = ["GANHyper", "GANRecipe", "LossFn", "Phase"]
