import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ganforge.api import _assemble, _load_data
from ganforge.config import load_preset
from ganforge.recipes.gan import GANRecipe
from ganforge.training.trainer import Trainer

# A small but real setup: DCGAN on the first 512 MNIST training digits.
TINY = [
    "data.limit=512",
    "optim.batch_size=16",
    "model.g_width=16",
    "model.d_width=16",
    "train.precision=fp32",
    "train.log_every=5",
    "train.sample_every=0",
    "train.checkpoint_every=10",
    "train.sample_grid=16",
    "train.ema_decay=0.9",
]


def tiny_dcgan(overrides: dict[str, Any]) -> tuple[Trainer, GANRecipe]:
    """``mnist-dcgan`` in process on 256 real digits (batch 16, widths 16, fp32, CPU): its trainer and recipe."""
    base = {"data.limit": 256, "optim.batch_size": 16, "model.g_width": 16, "model.d_width": 16}
    cfg = load_preset("mnist-dcgan", {**base, "train.precision": "fp32", "train.device": "cpu", **overrides})
    run = _assemble(cfg, _load_data(cfg))
    recipe = run.trainer.phases[0].loss.__self__  # type: ignore[attr-defined]  # the D phase's bound method
    assert isinstance(recipe, GANRecipe)
    return run.trainer, recipe


def cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m ganforge ARGS`` and returns the finished process."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ganforge", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ganforge", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def latest_step(run_dir: Path) -> int:
    try:
        name = (run_dir / "checkpoints" / "latest").read_text().strip()
        return int(json.loads((run_dir / "checkpoints" / name / "meta.json").read_text())["step"])
    except (OSError, ValueError):
        return -1


def wait_for_step(proc: subprocess.Popen[str], run_dir: Path, step: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while latest_step(run_dir) < step:
        if proc.poll() is not None:
            raise AssertionError(f"training ended early:\n{proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("timed out waiting for a checkpoint")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted 60-step run, the yardstick for resumed runs."""
    run_dir = tmp_path_factory.mktemp("ref") / "run"
    done = cli(
        "train", "mnist-dcgan", "--run-dir", str(run_dir), "--steps", "60", "--seed", "3", "--no-progress", *TINY
    )
    assert done.returncode == 0, done.stderr
    return run_dir
