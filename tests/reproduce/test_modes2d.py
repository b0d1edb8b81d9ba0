"""``ganforge bench modes2d`` (:mod:`ganforge.reproduce.modes2d`): ring of 8 / grid of 25 beside VEEGAN and PacGAN."""

import json
from pathlib import Path

import pytest

from ganforge.cli.main import main


def test_bench_modes2d_prints_ours_beside_the_papers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    args = ["bench", "modes2d", "--seeds", "1", "--steps", "50", "--out", str(out), "--json", str(tmp_path / "b.json")]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "PacGAN4 | 7.8 ± 0.1 / 8 | 95.9 ± 1.4" in table and "ganforge grid25-gan" in table
    rows = json.loads((tmp_path / "b.json").read_text())
    assert [(r["dataset"], r["seed"]) for r in rows] == [("ring8", 0), ("grid25", 0)]
    assert all(0 <= r["high_quality"] <= 1 for r in rows)
    assert main(args) == 2  # the runs folder exists: never overwritten


def test_bench_modes2d_measures_existing_runs_like_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--runs measures runs trained elsewhere (e.g. in parallel) exactly as the runs it trains itself."""
    out = tmp_path / "bench"
    assert (
        main(
            ["bench", "modes2d", "--seeds", "1", "--steps", "40", "--out", str(out), "--json", str(tmp_path / "a.json")]
        )
        == 0
    )
    own = json.loads((tmp_path / "a.json").read_text())
    runs = [str(out / "ring8-seed0"), str(out / "grid25-seed0")]
    assert (
        main(["bench", "modes2d", "--runs", *runs, "--out", str(tmp_path / "b"), "--json", str(tmp_path / "b.json")])
        == 0
    )
    again = json.loads((tmp_path / "b.json").read_text())
    assert not (tmp_path / "b").exists()  # nothing trained
    for a, b in zip(own, again, strict=True):
        assert (a["dataset"], a["seed"]) == (b["dataset"], b["seed"])
        assert (a["modes_captured"], a["high_quality"], a["reverse_kl"]) == (
            b["modes_captured"],
            b["high_quality"],
            b["reverse_kl"],
        )
        assert 0 < b["seconds"] < a["seconds"] + 60  # the training time read from metrics.jsonl
    capsys.readouterr()
    assert main(["bench", "modes2d", "--runs", str(tmp_path), "--out", str(tmp_path / "c")]) == 2
    assert "is not a ring8 / grid25 run directory" in capsys.readouterr().err
