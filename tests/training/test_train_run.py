"""A short real training run on real MNIST, and what it leaves in its run directory."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import ganforge
from ganforge.data import load_dataset
from ganforge.recipes.gan import GANRecipe
from ganforge.training import checkpoint as ckpt
from ganforge.training.loop import TrainingDiverged


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("mlp") / "run"
    overrides = {
        "train.steps": 400,
        "train.log_every": 20,
        "train.sample_every": 200,
        "train.checkpoint_every": 200,
        "train.precision": "fp32",
        "data.limit": 10000,
        "eval.every": 100,
        "eval.samples": 1000,
    }
    return ganforge.train("mnist-mlp", run_dir=run_dir, overrides=overrides, progress=False)


def test_losses_and_d_accuracy_move_like_a_working_gan(mlp_run: Path) -> None:
    records = [json.loads(line) for line in (mlp_run / "metrics.jsonl").read_text().splitlines()]
    records = [r for r in records if "loss_D" in r]
    assert [r["step"] for r in records] == list(range(20, 401, 20))
    first, last = records[0], records[-1]
    for r in records:
        assert all(np.isfinite(r[k]) for k in ("loss_D", "loss_G", "acc_real", "acc_fake", "images_per_s"))
        assert 0 <= r["acc_real"] <= 1 and 0 <= r["D(x)"] <= 1
    # D learns to separate quickly: accuracy above chance (0.5), D(x) > D(G(z)). Measured over seeds 0-3 with one
    # or two D passes per step: 0.598-0.616 (the mean of a chaotic run moves with float rounding; 0.6 was too tight).
    assert np.mean([(r["acc_real"] + r["acc_fake"]) / 2 for r in records]) > 0.57
    assert np.mean([r["D(x)"] - r["D(G(z))"] for r in records]) > 0.05
    # ... but G keeps fighting back: D does not win outright at the end (no collapse to loss_D = 0).
    assert last["loss_D"] > 0.2 and last["acc_fake"] < 0.999
    assert first["images_per_s"] > 0


def test_generator_learns_the_data_distribution(mlp_run: Path) -> None:
    real = load_dataset("mnist", "train").images[:2000].astype(np.float32) / 255
    G = ganforge.load_generator(mlp_run)
    fake, _ = ganforge.generate(G, 2000, seed=0)
    fake = fake.astype(np.float32) / 255
    # Untrained G (same family/config, fresh weights) as the baseline.
    from ganforge.models import MODELS, module_config

    G0 = MODELS.get("mlp").generator(**module_config(G)).eval()
    torch.manual_seed(0)
    base, _ = ganforge.generate(G0, 2000, seed=0)
    base = base.astype(np.float32) / 255
    err = np.abs(fake.mean(0) - real.mean(0)).mean()
    err0 = np.abs(base.mean(0) - real.mean(0)).mean()
    assert err < 0.35 * err0, (err, err0)
    # MNIST is mostly black background: the share of dark pixels must match within a few percent.
    dark_err = abs((fake < 0.1).mean() - (real < 0.1).mean())
    dark_err0 = abs((base < 0.1).mean() - (real < 0.1).mean())
    assert dark_err < 0.5 * dark_err0, (dark_err, dark_err0)


def test_run_directory_contents(mlp_run: Path) -> None:
    cfg = json.loads((mlp_run / "config.json").read_text())
    assert cfg["model"]["name"] == "mlp" and cfg["train"]["steps"] == 400
    assert sorted(p.name for p in (mlp_run / "samples").iterdir()) == ["step_0000200.png", "step_0000400.png"]
    assert (mlp_run / "loss_curves.png").stat().st_size > 10_000
    assert list((mlp_run / "tensorboard").glob("events.out.tfevents.*"))
    assert sorted(p.name for p in (mlp_run / "generator").iterdir()) == ["config.json", "model.safetensors"]
    tensors, meta, _ = ckpt.load_latest(mlp_run / "checkpoints")
    assert meta["step"] == 400
    assert {"model.G", "model.D", "model.G_ema", "optim.D", "optim.G", "rng.cpu", "rng.noise"} <= {
        ".".join(k.split(".")[:2]) for k in tensors
    }
    for path in mlp_run.rglob("*"):  # no pickle anywhere
        if path.is_file():
            assert path.suffix not in (".pt", ".pth", ".pkl", ".ckpt")
            assert path.read_bytes()[:2] != b"\x80\x04"


def test_nonfinite_loss_rolls_back_with_lower_lr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = GANRecipe.g_loss
    poisoned = {"done": False}

    def g_loss(self: GANRecipe, step: int, repeat: int):  # type: ignore[no-untyped-def]
        loss, stats = original(self, step, repeat)
        if step == 13 and not poisoned["done"]:
            poisoned["done"] = True
            return loss * float("nan"), stats
        return loss, stats

    monkeypatch.setattr(GANRecipe, "g_loss", g_loss)
    overrides = {"train.steps": 30, "train.log_every": 5, "train.checkpoint_every": 10, "data.limit": 256}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "a", overrides=overrides, progress=False)
    tensors, meta, _ = ckpt.load_latest(run / "checkpoints")
    assert meta["step"] == 30 and meta["rollbacks"] == 1
    assert meta["optimizers"]["G"]["param_groups"][0]["lr"] == pytest.approx(1e-4)  # 2e-4 halved
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if k.startswith("model."))

    poisoned["done"] = False
    with pytest.raises(TrainingDiverged, match="on_nonfinite=stop"):
        ganforge.train(
            "mnist-mlp", run_dir=tmp_path / "b", overrides={**overrides, "train.on_nonfinite": "stop"}, progress=False
        )


def test_second_rollback_names_the_steps_since_the_restored_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = GANRecipe.g_loss
    poisoned = {"times": 0}

    def g_loss(self: GANRecipe, step: int, repeat: int):  # type: ignore[no-untyped-def]
        loss, stats = original(self, step, repeat)
        if step == 13 and poisoned["times"] < 2:  # diverges at 13, and again at 13 after rolling back to 10
            poisoned["times"] += 1
            return loss * float("nan"), stats
        return loss, stats

    monkeypatch.setattr(GANRecipe, "g_loss", g_loss)
    overrides = {"train.steps": 20, "train.log_every": 5, "train.checkpoint_every": 10, "data.limit": 128}
    with caplog.at_level("WARNING", logger="ganforge"):
        ganforge.train("mnist-mlp", run_dir=tmp_path / "run", overrides=overrides, progress=False)
    rollbacks = [r.getMessage() for r in caplog.records if "rolled back to" in r.getMessage()]
    assert len(rollbacks) == 2, rollbacks
    for message in rollbacks:  # last check known finite: 10 (the checkpoint); first failing check: 15
        assert "between steps 10 and 15: rolled back to step_0000010" in message, message


#: 20 fp32 steps with checkpoints at 10 and 20: the runs of the learning-rate schedule tests.
_SCHEDULE_RUN = {"train.steps": 20, "train.log_every": 5, "train.checkpoint_every": 10, "data.limit": 256,
                 "train.precision": "fp32"}  # fmt: skip


def _resumed_from_step_10(run: Path, copy: Path) -> dict[str, torch.Tensor]:
    """A copy of the 20-step ``run`` rolled back to its step-10 checkpoint and resumed: its model tensors at 20."""
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns(".lock"))
    shutil.rmtree(copy / "checkpoints" / "step_0000020")
    (copy / "checkpoints" / "latest").write_text("step_0000010\n")
    ganforge.resume(copy, progress=False)
    resumed, meta, _ = ckpt.load_latest(copy / "checkpoints")
    assert meta["step"] == 20
    return {k: t for k, t in resumed.items() if k.startswith("model.")}


def test_linear_lr_decay_reaches_zero_and_resumes_exactly(tmp_path: Path) -> None:
    overrides = {**_SCHEDULE_RUN, "optim.lr_decay": "linear", "recipe.r1_gamma": 1.0, "recipe.r1_interval": 4}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "a", overrides=overrides, progress=False)
    tensors, meta, _ = ckpt.load_latest(run / "checkpoints")
    for name in ("D", "G"):
        group = meta["optimizers"][name]["param_groups"][0]
        assert group["base_lr"] == pytest.approx(2e-4) and group["lr"] == pytest.approx(2e-4 / 20)  # last step: 1/20
    # Resumed from the step-10 checkpoint: the same weights at step 20, bit for bit (the rate is a function of
    # the step and of the checkpointed base rate).
    resumed = _resumed_from_step_10(run, tmp_path / "b")
    assert resumed and all(torch.equal(tensors[k], t) for k, t in resumed.items())


def test_step_lr_decay_multiplies_at_milestones_and_resumes_exactly(tmp_path: Path) -> None:
    overrides = {**_SCHEDULE_RUN, "optim.lr_decay": "step", "optim.lr_milestones": [8, 15], "optim.lr_gamma": 0.5}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "a", overrides=overrides, progress=False)
    tensors, meta, _ = ckpt.load_latest(run / "checkpoints")
    meta_10 = json.loads((run / "checkpoints" / "step_0000010" / "meta.json").read_text())
    for name in ("D", "G"):
        assert meta_10["optimizers"][name]["param_groups"][0]["lr"] == pytest.approx(2e-4 * 0.5)  # after step 8
        group = meta["optimizers"][name]["param_groups"][0]
        assert group["base_lr"] == pytest.approx(2e-4) and group["lr"] == pytest.approx(2e-4 * 0.25)  # after 15
    # Resumed from step 10, across the second milestone: the same weights at step 20, bit for bit.
    resumed = _resumed_from_step_10(run, tmp_path / "b")
    assert resumed and all(torch.equal(tensors[k], t) for k, t in resumed.items())


def test_compiled_forwards_train_like_eager_with_r1_on_the_eager_d(tmp_path: Path) -> None:
    from torch._dynamo.utils import counters

    overrides = {**_SCHEDULE_RUN, "recipe.r1_gamma": 1.0, "recipe.r1_interval": 4}
    eager = ganforge.train("mnist-mlp", run_dir=tmp_path / "eager", overrides=overrides, progress=False)
    graphs = counters["stats"]["unique_graphs"]
    compiled = ganforge.train(
        "mnist-mlp", run_dir=tmp_path / "compiled", overrides={**overrides, "train.compile": "default"}, progress=False
    )
    assert counters["stats"]["unique_graphs"] >= graphs + 2  # G's and D's forwards went through torch.compile
    assert json.loads((compiled / "config.json").read_text())["train"]["compile"] == "default"
    a, _, _ = ckpt.load_latest(eager / "checkpoints")
    b, meta, _ = ckpt.load_latest(compiled / "checkpoints")
    assert meta["step"] == 20
    # The same maths (R1 at steps 0, 4, ..., 16 through the eager D), up to the float rounding of fused kernels.
    # (measured: 1.9e-4 at most after 20 Adam steps of 2e-4, the losses equal to 6 digits)
    weights = [k for k in a if k.startswith("model.")]
    assert weights and max((a[k] - b[k]).abs().max().item() for k in weights) < 1e-3
    logs = [[json.loads(line) for line in (r / "metrics.jsonl").read_text().splitlines()] for r in (eager, compiled)]
    for x, y in zip(*logs, strict=True):
        if "loss_D" in x:
            assert x["step"] == y["step"]
            for key in ("loss_D", "loss_G", "r1"):
                assert x[key] == pytest.approx(y[key], rel=1e-3)


def test_time_budget_ends_the_run_normally_and_resume_goes_on(tmp_path: Path) -> None:
    # No log falls due in ~1.2 s (every 10^5 steps): the stop itself logs the interval it ends.
    overrides = {"train.steps": 1_000_000, "train.max_minutes": 0.02, "train.log_every": 100_000, "data.limit": 256}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "run", overrides=overrides, progress=False)
    _, meta, _ = ckpt.load_latest(run / "checkpoints")
    stopped = meta["step"]
    assert 0 < stopped < 1_000_000  # ended by the ~1.2 s budget, with a checkpoint at that exact step
    (last,) = [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "loss_D" in r]
    assert last["step"] == stopped and 0 < stopped / last["steps_per_s"] < 0.02 * 60 * 2  # its steps, its time
    assert (run / "generator" / "model.safetensors").is_file()
    assert (run / "samples" / f"step_{stopped:07d}.png").is_file()
    ganforge.resume(run, steps=stopped + 7, overrides={"train.max_minutes": 0}, progress=False)  # no budget now
    assert ckpt.load_latest(run / "checkpoints")[1]["step"] == stopped + 7


def test_in_training_evaluation_and_best_checkpoint(mlp_run: Path) -> None:
    records = [json.loads(line) for line in (mlp_run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval_domain_fd" in r]
    assert [r["step"] for r in evals] == [100, 200, 300, 400]
    fds = [r["eval_domain_fd"] for r in evals]
    assert fds[-1] < fds[0]  # the generator gets closer to real digits as it trains
    for r in evals:
        assert 0 <= r["eval_classes_covered"] <= 10 and r["eval_collapse_alarm"] in (0.0, 1.0)
        assert (r["eval_collapse_alarm"] == 1.0) == (r["eval_classes_covered"] < 10 or r["eval_class_kl"] > 0.3)
    # RUN/best holds the checkpoint and generator of the lowest domain FD.
    _, meta, path = ckpt.load_latest(mlp_run / "best" / "checkpoints")
    best = min(evals, key=lambda r: r["eval_domain_fd"])
    assert meta["step"] == best["step"] and meta["best_value"] == best["eval_domain_fd"]
    assert path.name == f"step_{best['step']:07d}"
    extra = json.loads((mlp_run / "best" / "generator" / "config.json").read_text())["extra"]
    assert extra["step"] == best["step"] and ganforge.load_generator(mlp_run / "best")
    ema = json.loads((mlp_run / "generator" / "config.json").read_text())["extra"]["ema"]
    assert extra["ema"] is ema  # best/generator says what generator/ says: EMA weights or not


def test_in_training_inception_fid_and_best_by_fid(tmp_path: Path) -> None:
    overrides = {
        "train.steps": 20,
        "data.limit": 256,
        "eval.every": 10,
        "eval.samples": 64,
        "eval.inception_samples": 16,
        "eval.best_metric": "fid",
    }
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "run", overrides=overrides, progress=False)
    evals = [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "eval_fid" in r]
    assert [r["step"] for r in evals] == [10, 20]
    assert all(np.isfinite(r["eval_fid"]) and r["eval_fid"] > 0 and "eval_domain_fd" in r for r in evals)
    best = min(evals, key=lambda r: r["eval_fid"])
    assert ckpt.load_latest(run / "best" / "checkpoints")[1]["best_value"] == best["eval_fid"]


def test_auto_batch_trains_and_records_the_devices_number(tmp_path: Path) -> None:
    from ganforge.api import resume_config
    from ganforge.errors import GanforgeError

    small = {"data.limit": 64, "model.g_width": 8, "model.d_width": 8, "train.steps": 2, "train.device": "cpu",
             "train.precision": "fp32", "eval.every": 0, "train.sample_every": 0, "train.log_every": 1}  # fmt: skip
    run = ganforge.train("mnist-dcgan", run_dir=tmp_path / "run", overrides=small, progress=False)
    assert json.loads((run / "config.json").read_text())["optim"]["batch_size"] == 16  # auto on a CPU
    *_, last = [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "loss_D" in r]
    assert last["step"] == 2 and last["images_per_s"] == pytest.approx(16 * last["steps_per_s"])
    assert resume_config(run).optim.batch == 16  # the run's number, whatever device resumes it
    edited = json.loads((run / "config.json").read_text())
    edited["optim"]["batch_size"] = "auto"  # a hand-written config is resolved too, never crashes the resume
    (run / "config.json").write_text(json.dumps(edited))
    assert resume_config(run).optim.batch == 16
    with pytest.raises(GanforgeError, match=r"12 images, fewer than optim\.batch_size=16; add images or lower"):
        ganforge.train("mnist-dcgan", run_dir=tmp_path / "few", overrides={**small, "data.limit": 12})
    assert not (tmp_path / "few").exists()
