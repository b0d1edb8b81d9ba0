"""The recipe registry and the adversarial recipe's build."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganforge.config import load_preset
from ganforge.data import load_dataset
from ganforge.errors import ConfigError
from ganforge.recipes import RECIPES, GANConfig
from ganforge.tasks import TASKS


def test_gan_is_registered_with_its_config_and_task() -> None:
    recipe = RECIPES.get("gan")
    assert recipe.config is GANConfig
    defaults = GANConfig()
    assert (defaults.loss, defaults.r1_gamma, defaults.r1_interval, defaults.n_critic, defaults.pack) == (
        "nonsaturating", 0.0, 16, 1, 1,
    )  # fmt: skip
    cfg = load_preset("mnist-dcgan")
    assert recipe.task(cfg) is TASKS.get("unconditional")
    assert recipe.task(cfg.replace({"model.conditional": True})) is TASKS.get("conditional")


def test_build_returns_named_modules_optimisers_phases_and_sampler() -> None:
    cfg = load_preset(
        "mnist-wgan-gp", {"optim.batch_size": 8, "model.g_width": 8, "model.d_width": 8, "recipe.r1_gamma": 1.0}
    )
    array = load_dataset("mnist", "test")
    array = dataclasses.replace(array, images=array.images[:64], labels=array.labels[:64])  # type: ignore[index]
    built = RECIPES.get("gan").build(cfg, array, torch.device("cpu"))
    assert set(built.modules) == set(built.optimizers) == {"G", "D"}
    assert built.sampler == "G" and built.family == "dcgan"
    assert [p.name for p in built.phases] == ["D", "D_r1", "G"]
    assert built.phases[0].repeats == 5  # the preset's n_critic, from recipe.n_critic
    assert built.images_per_step == 8 * 5
    for phase in built.phases:
        assert phase.optimizer is built.optimizers["G" if phase.name == "G" else "D"]
    z = torch.randn(4, cfg.model.z_dim)
    assert built.modules["G"](z, None).shape == (4, 1, 28, 28)


def test_recipe_checks_live_beside_their_fields() -> None:
    with pytest.raises(ConfigError, match=r"recipe.n_critic must be >= 1"):
        load_preset("mnist-dcgan", {"recipe.n_critic": 0})
    with pytest.raises(ConfigError, match=r"recipe.gp_weight must be >= 0"):
        load_preset("mnist-dcgan", {"recipe.gp_weight": -1})
    with pytest.raises(ConfigError, match=r"multiple of recipe.pack=3"):
        load_preset("mnist-wgan-gp", {"recipe.pack": 3})
