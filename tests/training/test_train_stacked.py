"""Stacked MNIST runs measure their 1,000 modes while training; mode-metric config errors."""

import json
import math
from pathlib import Path

import pytest

import ganforge
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
