"""Resume equivalence and crash safety, by really interrupting and killing training processes."""

import json
import random
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import ganforge
from ganforge.data import load_dataset
from ganforge.errors import DataError, GanforgeError
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


def test_a_relative_data_path_resumes_from_any_folder_and_moved_images_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = load_dataset("mnist", "test").images
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    np.savez("digits.npz", images=images[:256])
    overrides = {"data.name": "npz", "data.path": "digits.npz", "train.steps": 4, "train.checkpoint_every": 2}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "run", overrides={**overrides, "eval.every": 0})
    assert json.loads((run / "config.json").read_text())["data"]["path"] == str(work / "digits.npz")
    monkeypatch.chdir(tmp_path)  # another folder: the recorded path is absolute
    ganforge.resume(run, steps=6)
    assert latest_step(run) == 6
    (work / "digits.npz").rename(tmp_path / "moved.npz")  # the images moved: say where
    with pytest.raises(DataError, match=r"digits\.npz"):
        ganforge.resume(run, steps=8)
    ganforge.resume(run, steps=8, overrides=["data.path=moved.npz"])  # a list, as train() takes
    assert latest_step(run) == 8 and json.loads((run / "config.json").read_text())["data"]["path"] == str(
        tmp_path / "moved.npz"
    )
    assert json.loads((run / "run.json").read_text())["dataset"] == f"npz:{tmp_path / 'moved.npz'}"
    np.savez(tmp_path / "other.npz", images=images[:300])  # other images are refused, by count or by name
    with pytest.raises(GanforgeError, match=r"trained on npz:.*moved\.npz \(256 images .* now loads .*300 images"):
        ganforge.resume(run, steps=10, overrides={"data.path": str(tmp_path / "other.npz")})
    cfg = json.loads((run / "config.json").read_text())
    cfg["data"]["path"] = "moved.npz"  # as runs before this fix recorded it: relative to where they started
    (run / "config.json").write_text(json.dumps(cfg))
    np.savez(work / "moved.npz", images=images[256:512])  # same count and shape, other digits, another folder
    monkeypatch.chdir(work)
    with pytest.raises(GanforgeError, match=r"if the run's images moved, pass data\.path="):
        ganforge.resume(run, steps=10)  # from `work` the relative path finds the wrong images
    monkeypatch.chdir(tmp_path)
    ganforge.resume(run, steps=10)  # from where it started it finds its own, and records them absolutely
    assert latest_step(run) == 10
    assert json.loads((run / "config.json").read_text())["data"]["path"] == str(tmp_path / "moved.npz")


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(tmp_path: Path) -> None:
    """SIGKILL right after `config.json` appears (the first checkpoint comes only after the outputs are set up):
    `--resume` starts the run from step 0 with its config, as an uninterrupted run."""
    args = ["--steps", "10", "--seed", "3", "--no-progress", *TINY, "eval.every=0"]
    run_dir = tmp_path / "killed"
    proc = start("train", "mnist-dcgan", "--run-dir", str(run_dir), *args)
    deadline = time.monotonic() + 120
    while not (run_dir / "config.json").is_file() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.kill()
    proc.communicate(timeout=60)
    assert (run_dir / "config.json").is_file() and not (run_dir / "checkpoints" / "latest").exists()
    refused = cli("train", "mnist-dcgan", "--run-dir", str(run_dir), *args)  # a new run never overwrites one
    assert refused.returncode == 2 and f"continue it with --resume {run_dir}" in refused.stderr
    done = cli("train", "--resume", str(run_dir), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "has no checkpoint yet: starting it from step 0 with its config, to step 10" in done.stderr
    straight = tmp_path / "straight"
    assert cli("train", "mnist-dcgan", "--run-dir", str(straight), *args).returncode == 0
    resumed, meta, _ = ckpt.load_latest(run_dir / "checkpoints")
    reference, _, _ = ckpt.load_latest(straight / "checkpoints")
    assert meta["step"] == 10 and resumed.keys() == reference.keys()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


@pytest.mark.parametrize(
    ("section", "key", "value", "named"),
    [
        ("model", "g_width", 32, "project.weight is [1568, 100] in the checkpoint, [3136, 100]"),
        ("model", "spectral_norm", True, "the checkpoint lacks"),
        ("recipe", "pack", 2, "net.0.weight is [16, 1, 4, 4] in the checkpoint, [16, 2, 4, 4]"),
    ],
)
def test_a_config_edited_into_another_architecture_is_refused_naming_it(
    reference_run: Path, tmp_path: Path, section: str, key: str, value: object, named: str
) -> None:
    run_dir = tmp_path / "edited"
    shutil.copytree(reference_run, run_dir)
    config = run_dir / "config.json"
    payload = json.loads(config.read_text())
    payload[section][key] = value
    config.write_text(json.dumps(payload))

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file() and p.name != ".lock"}

    before = files()
    done = cli("train", "--resume", str(run_dir), "--steps", "70", "--no-progress")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"{config} describes another network than the one its checkpoint step_0000060 holds" in done.stderr
    assert named in done.stderr and "undo the edit" in done.stderr
    assert files() == before  # nothing written
