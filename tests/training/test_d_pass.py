"""The discriminator phase's single pass over real and fake images (``ganforge.recipes.gan.per_sample``)."""

from typing import Any

import pytest
import torch
from torch import nn

from ganforge.models import MODELS
from ganforge.recipes.gan import GANRecipe, per_sample

from .conftest import tiny_dcgan


def test_per_sample_knows_which_discriminators_mix_samples() -> None:
    dcgan = MODELS.get("dcgan").discriminator
    assert per_sample(dcgan(channels=1, resolution=28, width=8, norm="none"))
    assert per_sample(dcgan(channels=1, resolution=28, width=8, norm="layer"))  # GroupNorm(1, C): per sample
    assert per_sample(MODELS.get("resnet").discriminator(channels=1, resolution=28, width=8))
    assert per_sample(MODELS.get("mlp").discriminator(channels=1, resolution=28, width=8, num_classes=10))
    assert not per_sample(dcgan(channels=1, resolution=28, width=8, norm="batch"))  # batch statistics
    assert not per_sample(dcgan(channels=1, resolution=28, width=8, spectral_norm=True))  # a power step per call
    assert not per_sample(nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)))  # a random stream
    assert not per_sample(nn.Sequential(nn.Linear(4, 4), nn.Module()))  # unknown: assumed to mix samples

    class MinibatchStdD(dcgan):  # a subclass may mix samples in its forward
        def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
            return super().forward(x, labels) + x.std(dim=0).mean()

    assert not per_sample(MinibatchStdD(channels=1, resolution=28, width=8, norm="none"))


def _recipe(overrides: dict[str, Any]) -> GANRecipe:
    return tiny_dcgan(overrides)[1]


def _d_phase(recipe: GANRecipe, one_pass: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor], list[torch.Tensor]]:
    recipe._one_d_pass = one_pass
    recipe.noise.manual_seed(3)  # the same latents for both ways
    recipe.D.zero_grad(set_to_none=True)
    loss, stats = recipe.d_loss(step=2, repeat=0)
    loss.backward()
    return loss.detach(), stats, [p.grad.clone() for p in recipe.D.parameters() if p.grad is not None]


@pytest.mark.parametrize("conditional", [False, True])
def test_one_d_pass_scores_and_trains_like_two(conditional: bool) -> None:
    """Real MNIST digits: one batch of 2B through a per-sample D = the real and the fake batch apart."""
    recipe = _recipe({"model.conditional": conditional})
    assert recipe._one_d_pass  # the preset's D has no normalisation: the fast path is what runs
    calls: list[int] = []
    hook = recipe.D.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    loss1, stats1, grads1 = _d_phase(recipe, True)
    assert calls == [32]  # one call over 16 real + 16 fake images
    loss2, stats2, grads2 = _d_phase(recipe, False)
    assert calls == [32, 16, 16]
    hook.remove()
    torch.testing.assert_close(loss1, loss2, rtol=1e-5, atol=1e-6)
    assert stats1.keys() == stats2.keys()
    for key in stats1:
        torch.testing.assert_close(stats1[key], stats2[key], rtol=1e-5, atol=1e-6)
    assert len(grads1) == len(grads2) == len(list(recipe.D.parameters()))
    for g1, g2 in zip(grads1, grads2, strict=True):
        torch.testing.assert_close(g1, g2, rtol=1e-4, atol=1e-6)
    assert 0.0 < float(stats1["acc_real"]) + float(stats1["acc_fake"]) <= 2.0


def test_a_discriminator_with_batch_norm_keeps_two_passes() -> None:
    recipe = _recipe({"model.d_norm": "batch"})
    assert not recipe._one_d_pass
    calls: list[int] = []
    recipe.D.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    recipe.d_loss(step=0, repeat=0)
    assert calls == [16, 16]  # batch statistics of real and fake kept apart, as before
