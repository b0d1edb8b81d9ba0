"""The pix2pix recipe: its losses by hand, the L1-only ablation, exact resume, translate, a short real training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import ganforge
from ganforge.api import _assemble, _load_data
from ganforge.config import load_preset
from ganforge.data import load_dataset
from ganforge.errors import ConfigError
from ganforge.recipes import RECIPES, Pix2PixRecipe
from ganforge.tasks import TASKS
from ganforge.training import checkpoint as ckpt
from tests.training.conftest import cli

SMALL = {"data.limit": 128, "optim.batch_size": 8, "model.g_width": 8, "model.d_width": 8,
         "train.precision": "fp32", "train.device": "cpu", "eval.every": 0}  # fmt: skip


def _recipe(**overrides: object) -> tuple[object, Pix2PixRecipe]:
    cfg = load_preset("edges2mnist-pix2pix", {**SMALL, **overrides})
    run = _assemble(cfg, _load_data(cfg))
    recipe = run.trainer.phases[0].loss.__self__  # type: ignore[attr-defined]
    assert isinstance(recipe, Pix2PixRecipe)
    return run, recipe


@pytest.mark.parametrize("loss", ["nonsaturating", "lsgan"])
def test_losses_equal_the_hand_computed_ones(loss: str) -> None:
    """D: 0.5 (BCE(D(A, B), 1) + BCE(D(A, G(A)), 0)) over every patch (lsgan: ½ E(D-1)² + ½ E D²);
    G: the adversarial term on the same G(A) + 100 · E|G(A) - B|."""
    run, recipe = _recipe(**{"recipe.loss": loss})
    assert RECIPES.get("pix2pix").task(run.config) is TASKS.get("translation")  # type: ignore[attr-defined]
    rng = torch.get_rng_state()
    d_loss, _ = recipe.d_loss(step=0, repeat=0)
    pairs, _ = recipe.data.batch(0, 8)
    a, b = pairs[..., :32], pairs[..., 32:]
    torch.set_rng_state(rng)  # the same dropout masks
    fake = recipe.G(a)
    assert recipe.D is not None
    with torch.no_grad():
        r, f = recipe.D(a, b).flatten(), recipe.D(a, fake).flatten()
    if loss == "lsgan":
        expected = 0.5 * (r - 1).square().mean() + 0.5 * f.square().mean()
    else:
        expected = 0.5 * (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                          + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))  # fmt: skip
    torch.testing.assert_close(d_loss.detach(), expected, rtol=1e-5, atol=1e-6)
    g_loss, stats = recipe.g_loss(step=0, repeat=0)  # the kept G(A), the same D
    with torch.no_grad():
        f = recipe.D(a, fake).flatten()
        adversarial = 0.5 * (f - 1).square().mean() if loss == "lsgan" else F.softplus(-f).mean()
        expected_g = adversarial + 100 * (fake - b).abs().mean()
    torch.testing.assert_close(g_loss.detach(), expected_g, rtol=1e-5, atol=1e-5)
    assert {"l1", "loss_G_gan", "loss_G"} <= set(stats)


def test_l1_only_has_no_discriminator_and_adversarial_only_no_l1() -> None:
    run, recipe = _recipe(**{"recipe.gan_weight": 0.0})
    assert recipe.D is None and [p.name for p in run.trainer.phases] == ["G"]  # type: ignore[attr-defined]
    loss, stats = recipe.g_loss(step=0, repeat=0)
    torch.testing.assert_close(loss.detach(), 100 * stats["l1"])
    _, recipe = _recipe(**{"recipe.l1_weight": 0.0})
    recipe.d_loss(0, 0)
    loss, stats = recipe.g_loss(0, 0)
    torch.testing.assert_close(loss.detach(), stats["loss_G_gan"])
    with pytest.raises(ConfigError, match=r"cannot both be 0"):
        load_preset("edges2mnist-pix2pix", {"recipe.l1_weight": 0, "recipe.gan_weight": 0})
    with pytest.raises(ConfigError, match=r"must be nonsaturating or lsgan"):
        load_preset("edges2mnist-pix2pix", {"recipe.loss": "wgan-gp"})
    with pytest.raises(ConfigError, match=r"set model.name=pix2pix"):
        load_preset("edges2mnist-pix2pix", {"model.name": "dcgan"})
    cfg = load_preset("edges2mnist-pix2pix", {**SMALL, "data.name": "mnist"})
    with pytest.raises(ConfigError, match=r"trains on image pairs .* mnist:train holds images of \[28, 28\] px"):
        RECIPES.get("pix2pix").build(cfg, _load_data(cfg), torch.device("cpu"))


def test_a_pix2pix_run_resumes_bit_for_bit(tmp_path: Path) -> None:
    overrides = {**SMALL, "train.steps": 20, "train.log_every": 5, "train.checkpoint_every": 10,
                 "train.max_minutes": 0, "train.sample_every": 10}  # fmt: skip
    run = ganforge.train("edges2mnist-pix2pix", run_dir=tmp_path / "a", overrides=overrides, progress=False)
    tensors, _, _ = ckpt.load_latest(run / "checkpoints")
    copy = tmp_path / "b"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(".lock"))
    shutil.rmtree(copy / "checkpoints" / "step_0000020")
    (copy / "checkpoints" / "latest").write_text("step_0000010\n")
    ganforge.resume(copy, progress=False)
    resumed, meta, _ = ckpt.load_latest(copy / "checkpoints")
    assert meta["step"] == 20
    trained = [k for k in tensors if k.startswith(("model.", "optim."))]
    assert len(trained) > 20 and all(torch.equal(tensors[k], resumed[k]) for k in trained)
    grid = np.asarray(Image.open(run / "samples" / "step_0000020.png"))
    assert grid.shape[1] > grid.shape[0]  # input | output | target cells, three images wide


def test_short_training_translates_edges_into_digits_and_translate_applies_it(tmp_path: Path) -> None:
    overrides = {"data.limit": 4096, "train.steps": 200, "train.max_minutes": 0, "train.sample_every": 0,
                 "train.checkpoint_every": 200, "eval.every": 100, "eval.samples": 500}  # fmt: skip
    run = ganforge.train("edges2mnist-pix2pix", run_dir=tmp_path / "run", overrides=overrides, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval_psnr" in r]
    assert [e["step"] for e in evals] == [100, 200]
    first, last = evals[0], evals[-1]
    assert last["eval_psnr"] > first["eval_psnr"] and last["eval_ssim"] > first["eval_ssim"]
    assert last["eval_label_preservation"] > 0.5 and last["eval_domain_fd"] < first["eval_domain_fd"], evals
    # translate() and the CLI give the same bytes for the same inputs.
    test = load_dataset("edges2mnist", "test")
    edges = test.images[:4, :, :32]
    out = ganforge.translate(ganforge.load_generator(run), edges)
    assert out.shape == (4, 32, 32, 1)
    (tmp_path / "in").mkdir()
    for i, e in enumerate(edges):
        Image.fromarray(e[:, :, 0]).save(tmp_path / "in" / f"{i}.png")
    done = cli("translate", str(run), "--input", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    for i in range(4):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / f"{i}.png")), out[i, :, :, 0])
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "small.png")
    done = cli("translate", str(run), "--input", str(tmp_path / "small.png"), "--out", str(tmp_path / "o2"))
    assert done.returncode != 0 and "is 28x28, but the generator translates 32x32" in done.stderr
    assert not (tmp_path / "o2").exists()
    done = cli("translate", str(run), "--input", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert done.returncode != 0 and "exists (and 3 more); choose another --out or pass --overwrite" in done.stderr
    done = cli("sample", str(run), "--out", str(tmp_path / "s.png"))
    assert done.returncode != 0 and "use `ganforge translate" in done.stderr
