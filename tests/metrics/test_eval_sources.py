"""`ganforge eval` on every SOURCE kind (domain metrics: fast) and its errors."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ganforge
from ganforge.cli.main import main
from ganforge.data import load_dataset
from ganforge.errors import DataError, GanforgeError
from ganforge.metrics.sources import load_source


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    overrides = {"train.steps": 30, "train.checkpoint_every": 30, "data.limit": 512, "train.sample_grid": 4}
    return ganforge.train("mnist-mlp", run_dir=tmp_path_factory.mktemp("r") / "run", overrides=overrides)


@pytest.fixture(scope="module")
def mnist_pngs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pngs")
    test = load_dataset("mnist", "test")
    for i in range(300):
        sub = root / f"d{i % 3}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(test.images[i, :, :, 0]).save(sub / f"{i}.png")
    return root


def eval_json(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"e{len(list(tmp_path.glob('e*.json')))}.json"
    assert main(["eval", *args, "--json", str(out)]) == 0, capsys.readouterr().err
    return json.loads(out.read_text())


def test_every_source_kind(run_dir: Path, mnist_pngs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    test = load_dataset("mnist", "test")
    np.savez(tmp_path / "real.npz", images=test.images[300:600])
    split = eval_json(capsys, tmp_path, "mnist:train", "--n", "300", "--metrics", "domain")
    npz = eval_json(capsys, tmp_path, str(tmp_path / "real.npz"), "--against", "mnist:test", "--metrics", "domain")
    folder = eval_json(capsys, tmp_path, str(mnist_pngs), "--against", "mnist:test", "--metrics", "domain")
    run = eval_json(capsys, tmp_path, str(run_dir), "--n", "300", "--metrics", "domain")
    gen = eval_json(capsys, tmp_path, str(run_dir / "generator"), "--n", "300", "--metrics", "domain")
    for report in (split, npz, folder, run, gen):
        assert report["n_source"] == 300 and report["against"] == "mnist:test" and report["n_against"] == 10_000
        assert report["protocol"]["domain"]["classifier_sha256"]
    for real in (split, npz, folder):  # real digits: close to the test split, all classes
        assert real["metrics"]["domain_fd"] < 5 and real["metrics"]["classes_covered"] == 10
    # A 30-step MLP GAN is far from real digits, and the run dir and its generator/ are the same source.
    assert run["metrics"]["domain_fd"] > 10 * split["metrics"]["domain_fd"]
    assert run["metrics"] == gen["metrics"]
    # The folder holds the same pixels as test images 0..299: PNG round trip is lossless.
    assert np.array_equal(load_source(mnist_pngs).images.sum(0), test.images[:300].sum(0))


def test_generated_source_is_reproducible_and_seeded(run_dir: Path) -> None:
    a = load_source(run_dir, n=50, seed=1).images
    b = load_source(run_dir, n=50, seed=1).images
    c = load_source(run_dir, n=50, seed=2).images
    assert a.shape == (50, 28, 28, 1) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert load_source(run_dir, n=50).dataset == "mnist" and not load_source(run_dir, n=5).real


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mnist:val"], "has no split 'val'"),
        (["cifar10:test"], "unknown dataset 'cifar10'"),
        (["nowhere/at/all"], "does not exist"),
        (["mnist:test", "--metrics", "fid,bogus"], "unknown metric(s) bogus"),
        (["mnist:test", "--n", "1"], "--n must be >= 2"),
        (["mnist:test", "--n", "10", "--seed", "-1", "--metrics", "domain"], "--seed must be a whole number from 0 to"),
        (["mnist:test", "--n", "3", "--metrics", "fid,pr"], "'pr' metric compares each image with its k = 3 nearest"),
        (["mnist:test", "--n", "5", "--metrics", "dc"], "needs more than 5 images on each side, got 5"),
    ],
)
def test_errors_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", *args]) == 2
    assert message in capsys.readouterr().err


def test_empty_folder_wrong_size_and_unknown_domain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["eval", str(tmp_path / "empty"), "--against", "mnist:test"]) == 2
    assert "holds no images" in capsys.readouterr().err
    big = tmp_path / "big"
    big.mkdir()
    for i in range(4):
        Image.fromarray(np.full((32, 32, 3), i * 40, np.uint8)).save(big / f"{i}.png")
    assert main(["eval", str(big), "--against", "mnist:test", "--metrics", "domain"]) == 2
    assert "28x28" in capsys.readouterr().err
    assert main(["eval", str(big), "--against", "mnist:test", "--metrics", "fid"]) == 2
    assert "image sizes differ" in capsys.readouterr().err
    assert main(["eval", str(big)]) == 2  # no dataset known, no --against
    assert "give --against" in capsys.readouterr().err
    np.savez(tmp_path / "x.npz", images=np.zeros((4, 28, 28, 1), np.uint8))
    assert main(["eval", str(tmp_path / "x.npz"), "--against", str(tmp_path / "x.npz"), "--metrics", "domain"]) == 2
    assert "need MNIST or Fashion-MNIST" in capsys.readouterr().err


def test_folder_of_mixed_sizes_is_read_at_the_common_size(tmp_path: Path) -> None:
    """The size most images have decides, whatever the file order (the first file, 80x50, used to)."""
    Image.fromarray(np.zeros((50, 80), np.uint8)).save(tmp_path / "a.png")
    for i in range(2):
        Image.fromarray(np.full((32, 32), 200, np.uint8)).save(tmp_path / f"b{i}.png")
    gray = load_source(tmp_path)
    assert gray.images.shape == (3, 32, 32, 1) and gray.images[1:].min() == 200
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "c.png")
    assert load_source(tmp_path).images.shape == (4, 32, 32, 3)  # one colour image: all read in colour
    (tmp_path / "d.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"d\.png") as info:
        load_source(tmp_path)
    assert "eval measures every image" in str(info.value) and "skip_bad" not in str(info.value)  # no training advice


def test_too_few_images_leave_out_neighbour_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = load_dataset("mnist", "test").images
    np.savez(tmp_path / "a.npz", images=images[:4])
    np.savez(tmp_path / "b.npz", images=images[4:9])
    report = eval_json(capsys, tmp_path, str(tmp_path / "a.npz"), "--against", str(tmp_path / "b.npz"))
    assert set(report["metrics"]) == {"fid", "kid", "kid_std", "precision", "recall"}  # dc needs > 5 per side


def test_a_point_run_is_not_an_image_source(tmp_path: Path) -> None:
    run = ganforge.train("ring8-gan", run_dir=tmp_path / "ring", overrides={"train.steps": 5, "eval.every": 0})
    with pytest.raises(GanforgeError, match="generates 2D points, not images; measure it with `ganforge bench modes2d"):
        load_source(run, n=16)


def test_existing_json_is_not_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    out.write_text("mine")
    assert main(["eval", "mnist:test", "--n", "100", "--metrics", "domain", "--json", str(out)]) == 2
    assert out.read_text() == "mine"
    with pytest.raises(GanforgeError, match="named splits exist"):
        load_source("folder:train")


def test_metrics_import_no_training_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ganforge.metrics.evaluate, ganforge.metrics.monitor, ganforge.metrics.sources;"
        "print([m for m in sys.modules if m.startswith(('ganforge.training', 'ganforge.recipes', 'ganforge.api'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_eval_modes_on_stacked_mnist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.json"
    assert main(["eval", "stacked-mnist:test", "--n", "2000", "--metrics", "modes", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert 800 < report["metrics"]["modes_covered"] <= 1000  # 2,000 real stacks: ~865 distinct modes expected
    assert report["metrics"]["mean_confidence"] > 0.9 and report["protocol"]["modes"]["dataset"] == "stacked-mnist"
    assert main(["eval", "mnist:test", "--n", "10", "--metrics", "modes"]) == 2
    assert "28x28 RGB" in capsys.readouterr().err
    assert main(["eval", "stacked-mnist:test", "--n", "10", "--metrics", "domain"]) == 2
    assert "need MNIST or Fashion-MNIST" in capsys.readouterr().err
