"""Training on 2D mixtures: the toy family, mode metrics while training, sampling points."""

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
