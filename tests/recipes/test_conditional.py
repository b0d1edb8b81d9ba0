"""The class-conditional recipes (cGAN, ACGAN, projection): build, losses, checks, resume, short trainings."""

from __future__ import annotations

import dataclasses
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
from ganforge.metrics.monitor import GeneratorMonitor
from ganforge.models import MODELS
from ganforge.recipes import RECIPES, ACGANRecipe, GANRecipe
from ganforge.tasks import TASKS
from ganforge.training import checkpoint as ckpt
from tests.training.conftest import cli

SMALL = {"data.limit": 256, "optim.batch_size": 16, "model.g_width": 16, "model.d_width": 16,
         "train.precision": "fp32", "train.device": "cpu", "eval.every": 0}  # fmt: skip
PRESETS = {"mnist-cgan": ("embed", "concat"), "mnist-acgan": ("embed", "auxiliary"),
           "mnist-projection": ("cbn", "projection"), "fashion-projection": ("cbn", "projection")}  # fmt: skip


def _recipe(preset: str, **overrides: object) -> GANRecipe:
    cfg = load_preset(preset, {**SMALL, **overrides})
    run = _assemble(cfg, _load_data(cfg))
    recipe = run.trainer.phases[0].loss.__self__  # type: ignore[attr-defined]  # the D phase's bound method
    assert isinstance(recipe, GANRecipe)
    return recipe


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_build_the_conditioning_of_their_recipe(preset: str) -> None:
    cfg = load_preset(preset)
    assert cfg.model.conditional and RECIPES.get(cfg.recipe.name).task(cfg) is TASKS.get("conditional")
    recipe = _recipe(preset)
    g, d = PRESETS[preset]
    assert recipe.G.config["conditioning"] == g and recipe.D.config["conditioning"] == d
    assert recipe.G.config["num_classes"] == recipe.D.config["num_classes"] == 10
    assert isinstance(recipe, ACGANRecipe) == (preset == "mnist-acgan")
    assert (cfg.recipe.loss == "hinge") == (cfg.recipe.name == "projection")


def test_acgan_losses_equal_the_hand_computed_ones() -> None:
    """D: adversarial loss + w·(CE(C(x), y) + CE(C(G(z, y)), y)); G: adversarial loss + w·CE(C(G(z, y)), y)."""
    recipe = _recipe("mnist-acgan", **{"recipe.aux_weight": 0.7, "recipe.classify_fakes": True})
    assert recipe.hyper.aux_weight == 0.7 and isinstance(recipe, ACGANRecipe) and recipe.classify_fakes
    noise = torch.Generator().set_state(recipe.noise.get_state())
    d_loss, stats = recipe.d_loss(step=0, repeat=0)
    real, labels = recipe.data.batch(0, 16)
    z = torch.randn(16, recipe.hyper.z_dim, generator=noise)
    with torch.no_grad():
        fake = recipe.G(z, labels)
        (sr, cr), (sf, cf) = recipe.D.scores_and_classes(real, labels), recipe.D.scores_and_classes(fake, labels)
    adversarial = F.softplus(-sr).mean() + F.softplus(sf).mean()  # minimax D loss on logits
    expected = adversarial + 0.7 * (F.cross_entropy(cr, labels) + F.cross_entropy(cf, labels))
    torch.testing.assert_close(d_loss.detach(), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(stats["cls_real"], F.cross_entropy(cr, labels), rtol=1e-5, atol=1e-6)
    g_loss, g_stats = recipe.g_loss(step=0, repeat=0)  # on the D phase's fake, through the same D
    with torch.no_grad():
        s, c = recipe.D.scores_and_classes(fake, labels)
    expected_g = F.softplus(-s).mean() + 0.7 * F.cross_entropy(c, labels)  # non-saturating G loss
    torch.testing.assert_close(g_loss.detach(), expected_g, rtol=1e-5, atol=1e-6)
    assert set(g_stats) == {"loss_G", "cls_G"}
    # The preset's D learns the classes from real images only: its class term leaves G's images out.
    recipe = _recipe("mnist-acgan", **{"recipe.aux_weight": 0.7})
    assert isinstance(recipe, ACGANRecipe) and not recipe.classify_fakes
    d_loss, stats = recipe.d_loss(step=0, repeat=0)
    with torch.no_grad():
        real, labels = recipe.data.batch(0, 16)
        sr, cr = recipe.D.scores_and_classes(real, labels)
        kept = recipe._kept
        assert kept is not None
        sf, _ = recipe.D.scores_and_classes(kept[1], labels)
    expected = F.softplus(-sr).mean() + F.softplus(sf).mean() + 0.7 * F.cross_entropy(cr, labels)
    torch.testing.assert_close(d_loss.detach(), expected, rtol=1e-5, atol=1e-6)


def test_cgan_and_projection_losses_are_the_adversarial_loss_of_d_x_y() -> None:
    for preset, loss in (("mnist-cgan", lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean()),
                         ("mnist-projection", lambda r, f: F.relu(1 - r).mean() + F.relu(1 + f).mean())):  # fmt: skip
        recipe = _recipe(preset)
        noise = torch.Generator().set_state(recipe.noise.get_state())
        d_loss, _ = recipe.d_loss(step=0, repeat=0)
        real, labels = recipe.data.batch(0, 16)
        with torch.no_grad():
            fake = recipe.G(torch.randn(16, recipe.hyper.z_dim, generator=noise), labels)
            expected = loss(recipe.D(real, labels), recipe.D(fake, labels))
        torch.testing.assert_close(d_loss.detach(), expected, rtol=1e-5, atol=1e-6)


def test_conditional_recipes_refuse_what_does_not_fit() -> None:
    with pytest.raises(ConfigError, match=r"recipe cgan is class-conditional: set model.conditional=true"):
        load_preset("mnist-cgan", {"model.conditional": False})
    with pytest.raises(ConfigError, match=r"recipe.aux_weight must be >= 0"):
        load_preset("mnist-acgan", {"recipe.aux_weight": -1})
    with pytest.raises(ConfigError, match=r"recipe.pack > 1 needs an unconditional model"):
        load_preset("mnist-cgan", {"recipe.pack": 2})
    cfg = load_preset("mnist-cgan", {**SMALL, "model.name": "resnet"})
    with pytest.raises(ConfigError, match=r"feeds the label to the generator as 'embed'.*use model.name=dcgan or mlp"):
        RECIPES.get("cgan").build(cfg, _load_data(cfg), torch.device("cpu"))
    cfg = load_preset("mnist-projection", {**SMALL, "model.name": "mlp"})
    with pytest.raises(ConfigError, match=r"as 'cbn'.*use model.name=dcgan or resnet"):
        RECIPES.get("projection").build(cfg, _load_data(cfg), torch.device("cpu"))
    array = load_dataset("mnist", "test")
    unlabelled = dataclasses.replace(array, images=array.images[:64], labels=None, num_classes=0)
    with pytest.raises(ConfigError, match=r"has no class labels; use a labelled dataset"):
        RECIPES.get("acgan").build(load_preset("mnist-acgan", SMALL), unlabelled, torch.device("cpu"))


@pytest.mark.parametrize("preset", ["mnist-cgan", "mnist-acgan", "mnist-projection"])
def test_conditional_runs_resume_bit_for_bit(preset: str, tmp_path: Path) -> None:
    overrides = {**SMALL, "train.steps": 20, "train.log_every": 5, "train.checkpoint_every": 10,
                 "recipe.r1_interval": 4, "train.max_minutes": 0}  # fmt: skip
    run = ganforge.train(preset, run_dir=tmp_path / "a", overrides=overrides, progress=False)
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


@pytest.mark.parametrize(
    ("preset", "steps", "accuracy"),
    [("mnist-cgan", 300, 0.5), ("mnist-acgan", 150, 0.6), ("mnist-projection", 1000, 0.3)],
)
def test_short_training_learns_to_draw_the_class_asked_for(
    preset: str, steps: int, accuracy: float, tmp_path: Path
) -> None:
    """Real MNIST, widths 32, batch 32: the domain classifier labels G(z, y) as y far above chance (0.1) and
    above the untrained generator, whose mean per-class FD is also worse; the run's own evaluation says so."""
    overrides = {"data.limit": 4096, "optim.batch_size": 32, "model.g_width": 32, "model.d_width": 32,
                 "train.steps": steps, "train.max_minutes": 0, "train.sample_every": 0,
                 "train.checkpoint_every": steps, "eval.every": steps, "eval.samples": 1000}  # fmt: skip
    run = ganforge.train(preset, run_dir=tmp_path / "run", overrides=overrides, progress=False)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    (last,) = [r for r in rows if "eval_conditioning_accuracy" in r]
    G = ganforge.load_generator(run)
    torch.manual_seed(load_preset(preset).train.seed)  # the run's initial weights (the EMA copy starts there)
    untrained = MODELS.get("dcgan").generator(**G.config)
    monitor = GeneratorMonitor(load_dataset("mnist", "test"), dataset="mnist", samples=1000, inception_samples=0,
                               seed=load_preset(preset).train.seed + 2_000_003, conditional=True)  # fmt: skip
    before, after = monitor(untrained), monitor(G)
    assert after["conditioning_accuracy"] == pytest.approx(last["eval_conditioning_accuracy"])
    assert after["class_fd_mean"] == pytest.approx(last["eval_class_fd_mean"])
    assert before["conditioning_accuracy"] < 0.2 and after["conditioning_accuracy"] > accuracy, (before, after)
    assert after["class_fd_mean"] < 0.7 * before["class_fd_mean"], (before, after)
    images, labels = ganforge.generate(G, 20, seed=1, labels=[3, 5] * 10)
    assert images.shape == (20, 28, 28, 1) and labels is not None and list(labels[:4]) == [3, 5, 3, 5]


def test_a_folder_of_class_subfolders_trains_conditionally_with_one_command(tmp_path: Path) -> None:
    """``ganforge train folder-cgan data.path=imgs``: the subfolders are the classes, their names go with the run,
    and ``ganforge sample --labels`` takes them."""
    test = load_dataset("mnist", "test")
    assert test.labels is not None
    for digit, name in ((0, "zero"), (1, "one"), (7, "seven")):
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in torch.nonzero(torch.from_numpy(test.labels == digit)).flatten()[:16].tolist():
            Image.fromarray(test.images[i, :, :, 0]).save(tmp_path / "imgs" / name / f"{i}.png")
    run = tmp_path / "run"
    done = cli("train", "folder-cgan", f"data.path={tmp_path / 'imgs'}", "data.resolution=28", "data.channels=1",
               "--steps", "6", "optim.batch_size=8", "model.g_width=8", "model.d_width=8", "--run-dir", str(run),
               "--no-progress")  # fmt: skip
    assert done.returncode == 0, done.stderr
    info = json.loads((run / "run.json").read_text())
    assert (
        info["class_names"] == ["one", "seven", "zero"] and info["num_classes"] == 3 and info["task"] == "conditional"
    )
    done = cli("sample", str(run), "--n", "4", "--labels", "zero,seven", "--out", str(tmp_path / "s.npz"))
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "s.npz")["labels"].tolist() == [2, 1, 2, 1]
    done = cli("sample", str(run), "--n", "4", "--labels", "eight", "--out", str(tmp_path / "t.npz"))
    assert done.returncode == 2 and "class names (one, seven, zero)" in done.stderr
    (tmp_path / "imgs" / "stray.png").write_bytes((tmp_path / "imgs" / "one" / f"{2}.png").read_bytes())
    done = cli(
        "train", "folder-cgan", f"data.path={tmp_path / 'imgs'}", "--steps", "2", "--run-dir", str(tmp_path / "r2")
    )
    assert done.returncode != 0 and "stray.png lies directly in" in done.stderr and not (tmp_path / "r2").exists()
