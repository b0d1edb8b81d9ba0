"""Resume equivalence and crash safety, by really interrupting and killing training processes."""

import json
import random
import shutil
import signal
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

from ganforge.training import checkpoint as ckpt

from .conftest import TINY, cli, latest_step, start, wait_for_step

ARGS = ["--steps", "60", "--seed", "3", "--no-progress", *TINY]


def final_state(run_dir: Path) -> dict[str, torch.Tensor]:
    tensors, meta, path = ckpt.load_latest(run_dir / "checkpoints")
    assert meta["step"] == 60 and path.name == "step_0000060"
    return tensors


def assert_bitwise_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    trained = [k for k in a if k.startswith(("model.", "optim."))]
    assert len(trained) > 20
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_sigterm_then_resume_matches_uninterrupted_run(reference_run: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = start("train", "mnist-dcgan", "--run-dir", str(run_dir), *ARGS)
    wait_for_step(proc, run_dir, 20)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert "--resume" in out
    stopped_at = latest_step(run_dir)
    assert 20 <= stopped_at < 60  # checkpointed where it stopped, not at the last cadence point
    done = cli("train", "--resume", str(run_dir), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert_bitwise_equal(final_state(run_dir), final_state(reference_run))
    g1 = load_file(str(run_dir / "generator" / "model.safetensors"))
    g2 = load_file(str(reference_run / "generator" / "model.safetensors"))
    assert all(torch.equal(g1[k], g2[k]) for k in g2)
    records = list(map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines()))
    steps = [r["step"] for r in records if "loss_D" in r]
    assert steps == sorted(set(steps)) and steps[-1] == 60  # one consistent history, no duplicates


def test_sigkill_during_training_and_saves_then_resume_matches(reference_run: Path, tmp_path: Path) -> None:
    """Checkpoint every step so kills land inside saves; `latest` must always be intact."""
    run_dir = tmp_path / "run"
    rng = random.Random(0)
    args = [*ARGS, "train.checkpoint_every=1", "train.keep_checkpoints=2"]
    proc = start("train", "mnist-dcgan", "--run-dir", str(run_dir), *args)
    kills = 0
    for attempt in range(3):
        wait_for_step(proc, run_dir, latest_step(run_dir) + 3)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.kill()  # SIGKILL: no handler runs
        proc.wait()
        kills += 1
        latest = (run_dir / "checkpoints" / "latest").read_text().strip()
        tensors, meta = ckpt._read(run_dir / "checkpoints" / latest)  # the named checkpoint itself is intact
        assert meta["step"] >= 1 and tensors
        if latest_step(run_dir) >= 50 or attempt == 2:
            break
        proc = start("train", "--resume", str(run_dir), "--no-progress")  # only one process at a time
    done = cli("train", "--resume", str(run_dir), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert kills >= 1
    assert_bitwise_equal(final_state(run_dir), final_state(reference_run))


def test_resume_to_more_steps_extends_run(reference_run: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "copy"
    shutil.copytree(reference_run, run_dir)
    done = cli("train", "--resume", str(run_dir), "--steps", "70", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert latest_step(run_dir) == 70
    assert json.loads((run_dir / "config.json").read_text())["train"]["steps"] == 70


def test_resume_may_change_budget_and_cadence_but_not_the_maths(reference_run: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    first = cli("train", "mnist-dcgan", "--run-dir", str(run_dir), *ARGS, "--steps", "30")
    assert first.returncode == 0, first.stderr
    refused = cli("train", "--resume", str(run_dir), "--steps", "60", "optim.lr_g=5e-4", "--no-progress")
    assert refused.returncode == 2
    assert "--resume cannot change optim.lr_g" in refused.stderr and "train.max_minutes" in refused.stderr
    assert latest_step(run_dir) == 30 and json.loads((run_dir / "config.json").read_text())["optim"]["lr_g"] == 1e-3
    dry = cli("train", "--resume", str(run_dir), "--steps", "60", "train.max_minutes=30", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["train"]["max_minutes"] == 30.0 and json.loads(dry.stdout)["train"]["steps"] == 60
    assert json.loads((run_dir / "config.json").read_text())["train"]["steps"] == 30  # a dry run writes nothing
    done = cli(
        "train", "--resume", str(run_dir), "--steps", "60", "--no-progress",
        "train.max_minutes=30", "train.checkpoint_every=7", "eval.every=9",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    train = json.loads((run_dir / "config.json").read_text())["train"]
    assert (train["max_minutes"], train["checkpoint_every"], train["steps"]) == (30.0, 7, 60)
    evals = [
        r["step"]
        for r in map(json.loads, (run_dir / "metrics.jsonl").read_text().splitlines())
        if "eval_domain_fd" in r
    ]
    assert evals == [30, 36, 45, 54, 60]
    # Other checkpoints and evaluations (the uninterrupted run evaluated at step 60 only), same run, RNG included.
    assert_bitwise_equal(final_state(run_dir), final_state(reference_run))


def test_a_run_dir_trains_in_one_process_at_a_time(tmp_path: Path) -> None:
    """A second process resuming a live run fails at once (exit 2) and leaves the run untouched."""
    run_dir = tmp_path / "run"
    proc = start("train", "mnist-dcgan", "--run-dir", str(run_dir), *ARGS, "--steps", "100000")
    try:
        wait_for_step(proc, run_dir, 10)
        second = cli("train", "--resume", str(run_dir), "--no-progress")
        assert second.returncode == 2, second.stderr
        assert f"being trained by process {proc.pid}" in second.stderr
        assert proc.poll() is None  # the owner keeps training
    finally:
        proc.kill()
        proc.wait()
    # SIGKILL releases the lock with the process: resuming now works.
    done = cli("train", "--resume", str(run_dir), "--steps", str(latest_step(run_dir) + 2), "--no-progress")
    assert done.returncode == 0, done.stderr
