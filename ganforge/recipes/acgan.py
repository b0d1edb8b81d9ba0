"""ACGAN (Odena et al. 2017): the discriminator also classifies, and both networks are judged on its classes.

G takes ``[z, embed(y)]``. D has two outputs from one trunk: an unconditional real/fake score ``D(x)`` and
class logits ``C(x)`` (:mod:`ganforge.nn.projection`, ``auxiliary``). With the log-likelihood of the right
class ``L_C = E[log P(C = y | x_real)] + E[log P(C = y | G(z, y))]`` (paper, eq. 2-3):

- D minimises its adversarial loss ``- w · L_C`` (it learns to tell real from fake and to classify both);
- G minimises its adversarial loss ``- w · E[log P(C = y | G(z, y))]``: its images must be classified as the
  class they were drawn for.

``w`` is ``recipe.aux_weight`` (1 in the paper). The adversarial part is ``recipe.loss`` (the paper's is the
minimax loss; ``nonsaturating`` is its usual G form).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.config import RunConfig
from ganforge.config.schema import Checks
from ganforge.data import ImageArray, PointArray
from ganforge.models._common import AuxiliaryDiscriminator
from ganforge.recipes.base import RECIPES, Built, Recipe
from ganforge.recipes.gan import ConditionalGANConfig, GANRecipe, build_conditional, gan_task


@dataclass(frozen=True)
class ACGANConfig(ConditionalGANConfig):
    """The ACGAN recipe (``recipe.name: acgan``): an auxiliary classifier in D, label embedding into G.

    Its other fields are those of the ``gan`` recipe; ``pack`` must stay 1.

    Attributes:
        name: ``acgan`` (this recipe).
        aux_weight: Weight ``w`` of the class log-likelihood in both losses (1 in Odena et al. 2017).
        classify_fakes: D's class term also covers G's images (the paper's ``L_C``). ``false``: D learns the
            classes from real images only, so G cannot agree with it on a code of its own that no real image has.
    """

    name: str = "acgan"
    aux_weight: float = 1.0
    classify_fakes: bool = True

    def checks(self) -> Checks:
        return [*super().checks(), (self.aux_weight >= 0, "recipe.aux_weight must be >= 0")]


class ACGANRecipe(GANRecipe):
    """:class:`GANRecipe` whose D and G losses add the auxiliary classifier's cross-entropy."""

    #: Whether D's class term covers G's images too (:attr:`ACGANConfig.classify_fakes`).
    classify_fakes: bool = True

    def _d_terms(
        self, real: Tensor, fake: Tensor, labels: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None, dict[str, Tensor]]:
        assert labels is not None  # a conditional recipe
        D = cast(AuxiliaryDiscriminator, self.D)  # built with conditioning='auxiliary'
        if self._one_d_pass:
            scores, classes = D.scores_and_classes(torch.cat([real, fake]), torch.cat([labels, labels]))
            real_scores, fake_scores = scores.chunk(2)
            real_classes, fake_classes = classes.chunk(2)
        else:
            real_scores, real_classes = D.scores_and_classes(real, labels)
            fake_scores, fake_classes = D.scores_and_classes(fake, labels)
        ce_real = F.cross_entropy(real_classes.float(), labels)
        ce_fake = F.cross_entropy(fake_classes.float(), labels)
        aux = ce_real + ce_fake if self.classify_fakes else ce_real
        stats = {
            "cls_real": ce_real.detach(),
            "cls_fake": ce_fake.detach(),
            "cls_acc_real": (real_classes.detach().argmax(1) == labels).float().mean(),
        }
        return real_scores, fake_scores, self.hyper.aux_weight * aux, stats

    def _g_terms(self, fake: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        assert labels is not None
        scores, classes = cast(AuxiliaryDiscriminator, self.D).scores_and_classes(fake, labels)
        ce = F.cross_entropy(classes.float(), labels)
        return scores, self.hyper.aux_weight * ce, {"cls_G": ce.detach()}


def build_acgan(cfg: RunConfig, array: ImageArray | PointArray, device: torch.device) -> Built:
    """G with a label embedding, D with a score and class logits, the auxiliary loss in both phases."""
    rc = cfg.recipe
    if not isinstance(rc, ACGANConfig):
        raise TypeError(f"the acgan recipe needs an ACGANConfig section, got {type(rc).__name__}")
    built = build_conditional(cfg, array, device, ("embed", "auxiliary"), recipe_class=ACGANRecipe,
                              aux_weight=rc.aux_weight)  # fmt: skip
    recipe = built.phases[0].loss.__self__  # type: ignore[attr-defined]  # the D phase's bound method
    recipe.classify_fakes = rc.classify_fakes
    return built


RECIPES.add(
    "acgan",
    Recipe(
        name="acgan",
        config=ACGANConfig,
        task=gan_task,
        build=build_acgan,
        description="auxiliary-classifier GAN (Odena et al. 2017): D also classifies; G is judged on its classes",
    ),
)
