"""``python -m benchmarks.time_to_quality --variant``: recipes raced against each other on one clock, real MNIST."""

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch

# Small but real: the mnist-dcgan preset's architecture at width 16 on the first 512 training digits.
SMALL = ["data.limit=512", "model.g_width=16", "model.d_width=16", "train.threads=1"]


@pytest.fixture
def ttq() -> Iterator[ModuleType]:
    threads = torch.get_num_threads()
    from benchmarks import time_to_quality

    yield time_to_quality
    torch.set_num_threads(threads)  # main() sets the race's thread count for the process


def test_parse_variant_reads_name_and_overrides(ttq: ModuleType) -> None:
    name, changes = ttq.parse_variant("batch 16:optim.batch_size=16, optim.lr_g=1e-3,model.g_widths=[8, 16]")
    assert name == "batch 16"
    # "1e-3" is a float as in `ganforge train`'s overrides; the list's comma does not start a new key
    assert changes == {"optim.batch_size": 16, "optim.lr_g": 1e-3, "model.g_widths": [8, 16]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("optim.batch_size=16", "expected NAME:KEY=VALUE"),  # no name
        (":optim.batch_size=16", "expected NAME:KEY=VALUE"),
        ("b16:", "expected NAME:KEY=VALUE"),  # no overrides
        ("ganforge:optim.batch_size=16", "built-in contestant"),
        ("b16:optim.batch_size", "not of the form key=value"),
    ],
)
def test_parse_variant_rejects_malformed(ttq: ModuleType, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ttq.parse_variant(text)


def test_variant_with_unknown_key_fails_before_training(ttq: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        ttq.main(["--contestants", "ganforge", "--variant", "b16:optim.batch_sise=16", "--budget", "1000", *SMALL])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--variant 'b16'" in err and "optim.batch_sise" in err and "batch_size" in err  # names it, suggests the fix
    with pytest.raises(SystemExit):
        ttq.main(["--variant", "b:optim.lr_g=1e-3", "--variant", "b:optim.lr_d=1e-3", *SMALL])
    assert "share a name" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ttq.main([*SMALL, "--contestants"])
    assert "nothing to race" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # 48 images: enough for the preset's batch (16 on a CPU), not the tutorial's 64
        ttq.main([*SMALL, "data.limit=48", "--contestants", "reference"])
    err = capsys.readouterr().err
    assert "reference: the reference loop's batch is 64 images but mnist:train has 48" in err
    assert "raise data.limit to at least 64" in err
    with pytest.raises(SystemExit):  # a trailing override is not blamed on a variant
        ttq.main(["--variant", "b:optim.lr_g=1e-3", "optim.lr_dd=1e-3", *SMALL])
    err = capsys.readouterr().err
    assert "optim.lr_dd" in err and "--variant" not in err.splitlines()[-1]


def test_variant_races_the_preset_on_the_same_clock(ttq: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "race.json"
    ttq.main(
        ["--contestants", "reference", "ganforge", "--variant", "batch 32:optim.batch_size=32,optim.lr_g=5e-4",
         "--budget", "1", "--every", "0.5", "--samples", "256", "--thresholds", "1000", "--device", "cpu",
         "--out", str(out), *SMALL]
    )  # fmt: skip
    results = json.loads(out.read_text())["results"]
    assert [r["contestant"] for r in results] == ["reference", "ganforge", "batch 32"]
    assert [r["batch"] for r in results] == [64, 16, 32]  # the tutorial, the preset (auto: 16 on a CPU), the variant
    assert [r["train_images"] for r in results] == [512] * 3  # data.limit reaches every contestant, the reference too
    reference, preset, variant = (r["overrides"] for r in results)
    # the tutorial's settings on the preset's data and networks, with the data.* / model.* overrides only
    assert reference == {"data.limit": 512, "model.g_width": 16, "model.d_width": 16}
    assert variant == {**preset, "optim.batch_size": 32, "optim.lr_g": 5e-4}  # the shared overrides, then its own
    assert preset["train.seed"] == 0 and preset["data.limit"] == 512 and "optim.batch_size" not in preset
    for r in results:
        assert len(r["curve"]) == 2 and r["curve"][-1]["seconds"] >= 1.0  # two legs of 0.5 s each
        assert r["curve"][1]["steps"] > r["curve"][0]["steps"] > 0
        assert r["seconds_to"]["1000.0"] == r["curve"][0]["seconds"]  # the first evaluation below the threshold
        assert 0 < r["best_domain_fd"] < 1000
