"""A write that fails part-way (here: a real file-size limit, as a full disk would) is a clear error, exit code 74,
and leaves the run as it was: its checkpoint, ``checkpoints/latest`` and ``generator/`` untouched, no partial files,
and ``--resume`` continues once there is room."""

import hashlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .conftest import TINY, cli, latest_step


def limited(max_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn``: no file of the process may grow past ``max_bytes``. SIGXFSZ is ignored, so that the write
    fails with EFBIG ("File too large") instead of killing the process, as ENOSPC fails on a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def ganforge(*args: str, max_bytes: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "ganforge", *args], env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=limited(max_bytes))  # fmt: skip


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def test_a_checkpoint_that_cannot_be_written_keeps_the_run_resumable(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["--no-progress", *TINY, "eval.every=0", "train.sample_every=5"]
    first = cli("train", "mnist-dcgan", "--run-dir", str(run), "--steps", "10", "--seed", "3", *args)
    assert first.returncode == 0, first.stderr
    before = {"checkpoints": digests(run / "checkpoints"), "generator": digests(run / "generator")}
    # A checkpoint of this model is 2.8 MB: the limit lets the run write everything but its next checkpoint.
    failed = ganforge("train", "--resume", str(run), "--steps", "20", "--no-progress", max_bytes=1_000_000)
    assert failed.returncode == 74, failed.stderr
    assert "Traceback" not in failed.stderr
    state = run / "checkpoints" / "step_0000020" / "state.safetensors"
    assert f"error: cannot write {state}: File too large" in failed.stderr
    assert "raise the file-size limit (ulimit -f)" in failed.stderr
    assert f"intact at its last checkpoint (step_0000010); once there is room, continue it with: " \
           f"ganforge train --resume {run}" in failed.stderr  # fmt: skip
    after = {"checkpoints": digests(run / "checkpoints"), "generator": digests(run / "generator")}
    assert after == before  # the step-10 checkpoint, `latest` and generator/ untouched
    hidden = [p for p in run.rglob(".*") if p.name != ".lock"]
    assert hidden == []  # no temporary files or folders left behind
    assert (run / "samples" / "step_0000015.png").is_file()  # the run did train on until the failed write
    done = cli("train", "--resume", str(run), "--steps", "20", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert latest_step(run) == 20


def test_a_sample_file_that_cannot_be_written_is_an_error_and_leaves_the_old_one(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["--no-progress", *TINY, "eval.every=0", "data.limit=64"]
    assert cli("train", "mnist-mlp", "--run-dir", str(run), "--steps", "2", *args).returncode == 0
    out = tmp_path / "s.npz"
    out.write_bytes(b"the user's old file")
    failed = ganforge("sample", str(run), "--n", "64", "--out", str(out), "--overwrite", max_bytes=4096)
    assert failed.returncode == 74, failed.stderr
    assert failed.stderr.startswith(f"error: cannot write {out}: File too large") and "Traceback" not in failed.stderr
    assert out.read_bytes() == b"the user's old file" and sorted(os.listdir(tmp_path)) == ["run", "s.npz"]
    done = ganforge("sample", str(run), "--n", "64", "--out", str(out), "--overwrite", max_bytes=10**9)
    assert done.returncode == 0, done.stderr
    assert np.load(out)["images"].shape == (64, 28, 28, 1)
