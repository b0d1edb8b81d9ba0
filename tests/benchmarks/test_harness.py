"""``benchmarks.harness``: where a suite's record goes (never over an earlier one unless named), and how suites run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import harness

ROOT = Path(__file__).parents[2]
SUITES = ("throughput", "time_to_quality", "eval_speed", "sample_latency", "presets")


def test_default_record_never_replaces_an_earlier_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(harness.time, "strftime", lambda fmt: "20270101-120000")  # both in the same second
    first = harness.save_record("throughput", {"run": 1})
    second = harness.save_record("throughput", {"run": 2})
    folder = Path("runs/benchmarks")
    assert (first, second) == (folder / "throughput-20270101-120000.json", folder / "throughput-20270101-120000-1.json")
    assert [json.loads(p.read_text()) for p in (first, second)] == [{"run": 1}, {"run": 2}]
    assert set(os.listdir(folder)) == {first.name, second.name}  # no temporary file left behind


def test_a_named_out_is_replaced_atomically(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "mine.json"
    assert harness.save_record("eval_speed", {"n": 1}, out) == out
    assert harness.save_record("eval_speed", {"n": 2}, out) == out  # the user named it: replaced
    assert json.loads(out.read_text()) == {"n": 2} and os.listdir(out.parent) == ["mine.json"]


def test_an_unwritable_out_fails_before_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import throughput

    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("mine")
    with pytest.raises(SystemExit) as exc:  # before any model is built or timed
        throughput.main(["--out", "afile/t.json", "--rounds", "1"])
    assert exc.value.code == 2
    assert os.listdir(tmp_path) == ["afile"] and Path("afile").read_text() == "mine"


@pytest.mark.parametrize("suite", SUITES)
def test_every_suite_runs_as_a_module_from_the_root(suite: str) -> None:
    """``python -m benchmarks.SUITE`` from the repository root, with nothing on PYTHONPATH: the package imports."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{suite}", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"usage: python -m benchmarks.{suite}" in done.stdout and "--out FILE.json" in done.stdout
