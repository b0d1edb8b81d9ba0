"""``ganforge bench fid`` (:mod:`ganforge.reproduce.fid`): Inception FID per preset after a fixed budget."""

import json
from pathlib import Path

import pytest

from ganforge.cli.main import main


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
    from ganforge.config import load_preset, resolve_auto
    from ganforge.reproduce.fid import preset_changes

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
    from ganforge.reproduce.fid import training_minutes

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
