"""Stacked MNIST runs measure their 1,000 modes while training; the stacked-mnist and fid bench suites."""

import json
import math
from pathlib import Path

import pytest

import ganforge
from ganforge.cli.main import main
from ganforge.errors import ConfigError


def test_stacked_run_measures_modes_and_keeps_the_best(tmp_path: Path) -> None:
    overrides = {"train.steps": 40, "eval.every": 20, "eval.samples": 300, "train.checkpoint_every": 20,
                 "train.sample_every": 40, "train.log_every": 20}  # fmt: skip
    run = ganforge.train("stacked-mnist-dcgan", run_dir=tmp_path / "run", overrides=overrides)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval_mode_kl" in r]
    assert [r["step"] for r in evals] == [20, 40]
    for r in evals:
        assert 1 <= r["eval_modes_covered"] <= 300 and 0 <= r["eval_mode_kl"] <= math.log(1000) + 1e-9
        assert r["eval_collapse_alarm"] == float(r["eval_modes_covered"] < 990 or r["eval_mode_kl"] > 0.3)
    best = min(evals, key=lambda r: r["eval_mode_kl"])
    meta = json.loads((run / "best" / "generator" / "config.json").read_text())["extra"]
    assert meta["step"] == best["step"] and meta["mode_kl"] == pytest.approx(best["eval_mode_kl"])
    images, _ = ganforge.generate(ganforge.load_generator(run), 4, seed=0)
    assert images.shape == (4, 28, 28, 3)


def test_mode_metric_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mode_kl or none"):
        ganforge.train("stacked-mnist-dcgan", run_dir=tmp_path / "a", overrides={"eval.best_metric": "domain_fd"})
    with pytest.raises(ConfigError, match="mode_kl is for Stacked MNIST"):
        ganforge.train("mnist-mlp", run_dir=tmp_path / "b", overrides={"eval.best_metric": "mode_kl"})
    assert not any(tmp_path.iterdir())


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


def test_bench_fid_trains_for_the_budget_and_measures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, js = tmp_path / "bench", tmp_path / "f.json"
    args = ["bench", "fid", "train.threads=1", "model.g_width=128", "--presets", "mnist-mlp", "--minutes", "0.03",
            "--samples", "40", "--seed", "3", "--out", str(out), "--json", str(js)]  # fmt: skip
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "| mnist | WGAN | large search | - | 6.7 |" in table
    assert "ganforge mnist-mlp** model.g_width=128 |" in table  # the variant is named; train.* settings are not
    (row,) = json.loads(js.read_text())
    assert row["preset"] == "mnist-mlp" and row["minutes"] == 0.03 and row["samples"] == 40 and row["seed"] == 3
    assert row["changes"] == ["model.g_width=128"]
    assert 0 < row["train_minutes"] <= 0.03 * 1.2  # measured time in training steps, within the budget
    assert f"{row['train_minutes']:.1f} min × 1 thread" in table
    assert 0 < row["steps"] < 20_000 and row["fid"] > 50  # ~2 s of training: far from the data
    config = json.loads((out / "mnist-mlp" / "config.json").read_text())
    assert config["train"]["threads"] == 1 and config["train"]["max_minutes"] == 0.03  # override + budget
    assert config["train"]["seed"] == 3  # --seed trains with that seed
    # Existing runs are measured as they are; a preset on other data is refused before anything trains.
    again = ["bench", "fid", "--runs", str(out / "mnist-mlp"), "--samples", "40", "--out", str(tmp_path / "b")]
    assert main(again) == 0
    assert f"{row['fid']:.2f}" in capsys.readouterr().out  # same generator, seed and real images: same FID
    assert main(["bench", "fid", "--presets", "ring8-gan", "--out", str(tmp_path / "c")]) == 2
    assert not (tmp_path / "c").exists()


def test_preset_changes_name_list_settings_as_overrides() -> None:
    from ganforge.bench.fid import preset_changes
    from ganforge.config import load_preset, resolve_auto

    plain = json.loads(resolve_auto(load_preset("mnist-dcgan"), "cpu").to_json())  # as a CPU run records it
    assert preset_changes(plain) == []  # config.json's lists equal the preset's empty tuples
    # batch_size: auto is 16 on a CPU, 32 on a GPU: each is the preset where it trained, a change elsewhere
    on_gpu = json.loads(resolve_auto(load_preset("mnist-dcgan"), "cuda").to_json())
    assert preset_changes(on_gpu, "cuda") == [] and preset_changes(on_gpu, "cpu") == ["optim.batch_size=32"]
    assert preset_changes(plain, "cuda") == ["optim.batch_size=16"]
    cfg = load_preset("mnist-dcgan", ["optim.lr_decay=step", "optim.lr_milestones=[100,200]", "train.steps=9"])
    recorded = json.loads(resolve_auto(cfg, "cpu").to_json())
    assert preset_changes(recorded) == ["optim.lr_decay=step", "optim.lr_milestones=[100,200]"]


def test_training_minutes_sums_logged_intervals_only(tmp_path: Path) -> None:
    from ganforge.bench.fid import training_minutes

    records = [
        {"step": 50, "steps_per_s": 10.0},  # 5 s
        {"step": 100, "steps_per_s": 25.0},  # 2 s
        {"step": 100, "eval_fid": 30.0},  # an evaluation pause: no training time
        {"step": 160, "steps_per_s": 20.0},  # 3 s
        {"step": 120, "steps_per_s": 20.0},  # after a rollback to an earlier step: its start is unknown
        {"step": 180, "steps_per_s": 30.0},  # 2 s
    ]
    text = "".join(json.dumps(r) + "\n" for r in records) + '{"step": 200, "steps_'  # torn last line
    (tmp_path / "metrics.jsonl").write_text(text)
    assert training_minutes(tmp_path) == pytest.approx(12 / 60)
