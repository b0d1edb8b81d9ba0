"""Dotted overrides: moved keys, non-finite numbers, switching recipes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganforge.config import MOVED_KEYS, load_config_file, load_preset, parse_overrides
from ganforge.errors import ConfigError
from ganforge.registry import UnknownNameError


@pytest.mark.parametrize("text", ["optim.lr_g=1e999", "optim.lr_g=-1e999", "optim.lr_g=.inf", "optim.lr_d=.nan"])
def test_non_finite_overrides_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"must be a finite number"):
        parse_overrides([text])
    key, _, _ = text.partition("=")
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')}.*finite"):
        load_preset("mnist-dcgan", {key: float("inf")})  # the Python API, where no YAML parsing happens


def test_non_finite_lists_are_refused() -> None:
    with pytest.raises(ConfigError, match="finite"):
        parse_overrides(["optim.lr_milestones=[10, .inf]"])


@pytest.mark.parametrize(("old", "new"), sorted(MOVED_KEYS.items()))
def test_moved_keys_name_their_new_place(old: str, new: str) -> None:
    with pytest.raises(ConfigError, match=rf"{old.replace('.', '[.]')}' moved to '{new.replace('.', '[.]')}'"):
        load_preset("mnist-dcgan", [f"{old}=1"])


def test_new_recipe_keys_apply() -> None:
    cfg = load_preset("mnist-dcgan", ["recipe.loss=hinge", "recipe.n_critic=2", "recipe.r1_gamma=0.5"])
    assert (cfg.recipe.loss, cfg.recipe.n_critic, cfg.recipe.r1_gamma) == ("hinge", 2, 0.5)  # type: ignore[attr-defined]
    with pytest.raises(UnknownNameError, match=r"unknown recipe 'gna'.*Did you mean 'gan'"):
        load_preset("mnist-dcgan", ["recipe.name=gna"])
    with pytest.raises(ConfigError, match=r"unknown config key 'recipe.r1_gama'.*Did you mean 'recipe.r1_gamma'"):
        load_preset("mnist-dcgan", ["recipe.r1_gama=1"])


def test_a_config_json_of_the_old_layout_still_loads(tmp_path: Path) -> None:
    cfg = load_preset("mnist-wgan-gp", ["recipe.pack=2", "recipe.share_fake=false", "recipe.r1_gamma=0.25"])
    old = cfg.to_dict()
    recipe = old.pop("recipe")
    old["loss"] = {k: recipe[k] for k in ("gp_weight", "r1_gamma", "r1_interval", "weight_clip")}
    old["loss"]["name"] = recipe["loss"]
    old["model"]["pack"] = recipe["pack"]
    old["optim"]["n_critic"] = recipe["n_critic"]
    old["optim"]["share_fake"] = recipe["share_fake"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(old))
    assert load_config_file(path) == cfg
    assert load_preset("mnist-dcgan").to_dict()["recipe"]["name"] == "gan"


def test_broken_config_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model": {"name": "dcgan"')
    with pytest.raises(ConfigError, match=rf"config file {path} is not valid JSON"):
        load_config_file(path)
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config_file(path)
    path.write_text(json.dumps({"model": {"name": "dcgan", "z_dim": -1}}))
    with pytest.raises(ConfigError, match=rf"{path}: model.z_dim must be >= 1"):
        load_config_file(path)
