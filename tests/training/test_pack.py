"""PacGAN packing (recipe.pack): D judges several samples at once; runs on points and images."""

from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.errors import ConfigError
from ganforge.models.io import load_pretrained
from ganforge.recipes.gan import GANHyper, GANRecipe
from ganforge.training import checkpoint as ckpt


def test_pack_concatenates_consecutive_samples_along_channels() -> None:
    recipe = GANRecipe.__new__(GANRecipe)
    recipe.hyper = GANHyper(batch_size=6, z_dim=2, pack=3)
    recipe._channels_last = False
    x = torch.arange(6 * 2 * 2 * 2, dtype=torch.float32).reshape(6, 2, 2, 2)  # [B, C, H, W]
    packed = recipe._pack(x)
    assert packed.shape == (2, 6, 2, 2)
    assert torch.equal(packed[1], torch.cat([x[3], x[4], x[5]], dim=0))
    points = torch.arange(12.0).reshape(6, 2)
    assert torch.equal(recipe._pack(points)[0], torch.tensor([0.0, 1, 2, 3, 4, 5]))


def test_packed_point_and_image_runs(tmp_path: Path) -> None:
    run = ganforge.train("ring8-gan", run_dir=tmp_path / "ring", overrides={"recipe.pack": 4, "train.steps": 30,
                         "eval.every": 30, "train.sample_every": 0, "optim.batch_size": 64})  # fmt: skip
    tensors, meta, _ = ckpt.load_latest(run / "checkpoints")
    assert tensors["model.D.net.0.weight"].shape[1] == 8 and meta["step"] == 30  # 4 points x 2 coordinates
    assert ganforge.generate(ganforge.load_generator(run), 10, seed=0)[0].shape == (10, 2)  # G is unchanged
    overrides = {"recipe.pack": 2, "train.steps": 6, "data.limit": 256, "optim.batch_size": 16, "model.g_width": 16,
                 "model.d_width": 16, "train.checkpoint_every": 6, "eval.every": 0}  # fmt: skip
    run = ganforge.train("mnist-dcgan", run_dir=tmp_path / "mnist", overrides=overrides)
    tensors, _, _ = ckpt.load_latest(run / "checkpoints")
    first_conv = next(v for k, v in tensors.items() if k.startswith("model.D.") and v.ndim == 4)
    assert first_conv.shape[1] == 2  # 2 gray images per decision
    assert load_pretrained(run / "generator").config["channels"] == 1


def test_pack_errors_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must be a multiple of recipe.pack=3"):
        ganforge.train("mnist-dcgan", run_dir=tmp_path / "a", overrides={"recipe.pack": 3})
    with pytest.raises(ConfigError, match="unconditional"):
        ganforge.train("mnist-dcgan", run_dir=tmp_path / "b", overrides={"recipe.pack": 2, "model.conditional": True})
    assert not any(tmp_path.iterdir())
