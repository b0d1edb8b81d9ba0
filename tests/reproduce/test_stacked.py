"""``ganforge bench stacked-mnist`` (:mod:`ganforge.reproduce.stacked`): 1,000 modes beside VEEGAN and PacGAN."""

import json
from pathlib import Path

import pytest

from ganforge.cli.main import main


def test_bench_stacked_prints_real_floor_and_papers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, js = tmp_path / "bench", tmp_path / "s.json"
    args = ["bench", "stacked-mnist", "--seeds", "1", "--steps", "20", "--samples", "400", "--out", str(out),
            "--json", str(js)]  # fmt: skip
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "| PacDCGAN2 | 1000 ± 0.0 | 0.06 ± 0.01 |" in table and "| DCGAN | 99 | 3.40 |" in table
    assert "real stacked-mnist:test" in table and "goal (1000 modes, KL < 0.06, every seed): NOT met" in table
    rows = json.loads(js.read_text())
    assert [r["seed"] for r in rows] == [-1, 0] and rows[1]["steps"] == 20 and rows[1]["samples"] == 400
    assert rows[0]["modes_covered"] > 300  # 400 real stacks: ~330 distinct modes
    assert rows[1]["modes_covered"] < rows[0]["modes_covered"]  # 20 steps of training are far from it
    for r in rows:  # the joint KL = the three channels' KLs + the digits' dependence, which is >= 0
        assert len(r["channel_kl"]) == 3 and sum(r["channel_kl"]) <= r["kl"] + 1e-9
    split = (
        " / ".join(f"{c:.3f}" for c in rows[1]["channel_kl"])
        + f" + {max(0.0, rows[1]['kl'] - sum(rows[1]['channel_kl'])):.3f}"
    )
    assert f"| {split} |" in table
    assert main(args) == 2  # --json (and --out) exist: nothing is overwritten
    # An existing run (e.g. one extended with --resume) is measured as it is: same generator, same numbers.
    assert main(["bench", "stacked-mnist", "--runs", str(out / "seed0"), "--samples", "400", "--out", "unused"]) == 0
    row = f"| {out / 'seed0'} (20 steps) | {rows[1]['modes_covered']} | {rows[1]['kl']:.3f} |"
    assert row in capsys.readouterr().out
    # Several existing runs (e.g. seeds trained side by side) also get one mean ± std row and the goal check.
    twice = ["bench", "stacked-mnist", "--runs", str(out / "seed0"), str(out / "seed0"), "--samples", "400"]
    assert main([*twice, "--out", "unused"]) == 0
    summary = [line for line in capsys.readouterr().out.splitlines() if "the 2 runs above" in line]
    assert len(summary) == 1 and f"| {rows[1]['kl']:.3g} ± 0 |" in summary[0] and "every seed): NOT met" in summary[0]
    assert main(["bench", "stacked-mnist", "--runs", str(tmp_path), "--out", "unused"]) == 2  # not a run
