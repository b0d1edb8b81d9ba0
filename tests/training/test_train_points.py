"""Training on 2D mixtures: the toy family, mode metrics while training, sampling points, the bench CLI."""

import json
from pathlib import Path

import numpy as np
import pytest

import ganforge
from ganforge.cli.main import main
from ganforge.data import load_points
from ganforge.errors import ConfigError
from ganforge.metrics.modes2d import mode_metrics


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    overrides = {"train.steps": 600, "eval.every": 200, "train.checkpoint_every": 300, "train.sample_every": 300}
    return ganforge.train("ring8-gan", run_dir=tmp_path_factory.mktemp("ring") / "run", overrides=overrides)


def test_points_run_measures_modes_while_training(ring_run: Path) -> None:
    records = [json.loads(line) for line in (ring_run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "eval_modes_captured" in r]
    assert [r["step"] for r in evals] == [200, 400, 600]
    for r in evals:
        assert 0 <= r["eval_modes_captured"] <= 8 and 0 <= r["eval_high_quality"] <= 1
        assert r["eval_collapse_alarm"] == float(r["eval_modes_captured"] < 8 or r["eval_reverse_kl"] > 0.3)
    assert json.loads((ring_run / "run.json").read_text())["image_shape"] == [2]
    assert (ring_run / "samples" / "step_0000600.png").is_file()  # a scatter plot


def test_generator_moves_towards_the_ring(ring_run: Path) -> None:
    """600 steps do not capture the modes yet, but the samples must leave the origin for the unit circle."""
    G = ganforge.load_generator(ring_run)
    points, labels = ganforge.generate(G, 2500, seed=0)
    assert points.shape == (2500, 2) and points.dtype == np.float32 and labels is None
    radius = np.linalg.norm(points, axis=1)
    assert abs(np.median(radius) - 1.0) < 0.35
    truth = load_points("ring8")
    assert mode_metrics(points, truth.modes, truth.std).num_modes == 8
    assert G.config["scale"] == pytest.approx(float(truth.points.std()))  # ≈ 0.707: standardised units


def test_sample_points_npz_and_png(ring_run: Path, tmp_path: Path) -> None:
    assert main(["sample", str(ring_run), "--n", "100", "--out", str(tmp_path / "p.npz"), "--seed", "3"]) == 0
    with np.load(tmp_path / "p.npz", allow_pickle=False) as npz:
        assert npz.files == ["points"] and npz["points"].shape == (100, 2)
    assert main(["sample", str(ring_run), "--n", "100", "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_model_and_data_kinds_must_match(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"use model\.name=toy"):
        ganforge.train("ring8-gan", run_dir=tmp_path / "a", overrides={"model.name": "dcgan"})
    with pytest.raises(ConfigError, match="is for points"):
        ganforge.train("mnist-mlp", run_dir=tmp_path / "b", overrides={"model.name": "toy", "data.limit": 256})
    with pytest.raises(ConfigError, match="reverse_kl or none"):
        ganforge.train("ring8-gan", run_dir=tmp_path / "c", overrides={"eval.best_metric": "domain_fd"})
    assert not any(tmp_path.iterdir())  # nothing written


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
