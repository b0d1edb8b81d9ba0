"""The class-conditional judges on real labelled MNIST: right labels score well, shuffled labels like chance."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ganforge
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics import conditional
from ganforge.metrics.evaluate import default_metrics, evaluate
from ganforge.metrics.sources import load_source


@pytest.fixture(scope="module")
def test_split() -> tuple[np.ndarray, np.ndarray]:
    array = load_dataset("mnist", "test")
    assert array.labels is not None
    return array.images, array.labels


def _shuffled(labels: np.ndarray) -> np.ndarray:
    return np.random.default_rng(0).permutation(labels)


def test_conditioning_accuracy_of_real_and_of_shuffled_labels(test_split: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = test_split[0][:2000], test_split[1][:2000]
    assert conditional.conditioning_accuracy(images, labels, "mnist") > 0.97
    assert 0.05 < conditional.conditioning_accuracy(images, _shuffled(labels), "mnist") < 0.2
    with pytest.raises(GanforgeError, match=r"labels must lie in 0..9"):
        conditional.conditioning_accuracy(images[:3], np.array([0, 1, 10]), "mnist")


def test_class_fd_is_small_for_the_same_classes_and_large_for_shuffled(
    test_split: tuple[np.ndarray, np.ndarray],
) -> None:
    train = load_dataset("mnist", "train")
    assert train.labels is not None
    counts = np.full(10, 300)
    x, y = conditional.matched_subset(train.images, train.labels, counts, seed=0)
    assert np.array_equal(np.bincount(y), counts) and len(x) == 3000
    right = conditional.class_fd(x, y, *test_split, "mnist")
    wrong = conditional.class_fd(x, _shuffled(y), *test_split, "mnist")
    assert len(right.per_class) == 10 and right.mean == pytest.approx(np.mean(right.per_class))
    assert right.mean < 3.0 and wrong.mean > 10 * right.mean, (right.mean, wrong.mean)
    with pytest.raises(GanforgeError, match=r"class 1 has 1 labelled image"):
        conditional.class_fd(x[:11], np.array([*range(10), 0]), *test_split, "mnist")
    with pytest.raises(GanforgeError, match=r"class 0 has 5923 real images, fewer than the 6000"):
        conditional.matched_subset(train.images, train.labels, np.full(10, 6000), seed=0)


def test_cas_of_real_and_of_shuffled_training_labels(test_split: tuple[np.ndarray, np.ndarray]) -> None:
    train = load_dataset("mnist", "train")
    assert train.labels is not None
    x, y = train.images[:1000], train.labels[:1000]
    test_x, test_y = test_split[0][:1000], test_split[1][:1000]
    real = conditional.classification_accuracy_score(x, y, test_x, test_y, seed=0, steps=150)
    assert real > 0.9
    assert conditional.classification_accuracy_score(x, y, test_x, test_y, seed=0, steps=150) == real  # seeded
    assert conditional.classification_accuracy_score(x, _shuffled(y), test_x, test_y, seed=0, steps=150) < 0.3


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    overrides = {"data.limit": 2048, "optim.batch_size": 32, "model.g_width": 16, "model.d_width": 16,
                 "train.steps": 40, "train.max_minutes": 0, "train.sample_every": 0, "eval.every": 0}  # fmt: skip
    return ganforge.train("mnist-cgan", run_dir=tmp_path_factory.mktemp("cgan") / "run", overrides=overrides,
                          progress=False)  # fmt: skip


def test_a_conditional_generator_is_judged_by_default_and_real_numbers_come_beside(cgan_run: Path) -> None:
    source = load_source(cgan_run, n=200)
    assert source.conditional and source.labels is not None
    assert np.array_equal(source.labels, np.arange(200) % 10)  # the classes in turn
    against = load_source("mnist:test")
    chosen = default_metrics(source, against)
    assert {"conditioning", "class-fd", "cas"} <= set(chosen)
    report = evaluate(source, against, ("conditioning", "class-fd"))
    assert set(report.values) == {"conditioning_accuracy", "conditioning_accuracy_real", "class_fd_mean",
                                  "class_fd_mean_real"}  # fmt: skip
    assert report.values["conditioning_accuracy_real"] > 0.98 and report.values["class_fd_mean_real"] < 5
    assert report.values["class_fd_mean"] > 3 * report.values["class_fd_mean_real"]  # 40 steps: far from real
    assert len(report.details["class_fd"]) == 10
    assert report.protocol["conditioning"]["version"] == "conditional-v1"
    # The loaded whole default: 1,000 per class.
    assert len(load_source(cgan_run).images) == 10_000


def test_unconditional_sources_are_not_judged_by_class_unless_asked_and_labelled() -> None:
    real = load_source("mnist:train", n=500)
    against = load_source("mnist:test")
    assert not ({"conditioning", "class-fd", "cas"} & set(default_metrics(real, against)))
    report = evaluate(real, against, ("conditioning",))  # asked for by name: a labelled split is judged
    assert report.values["conditioning_accuracy"] > 0.97
    unlabelled = load_source("fashion-mnist:test", n=100)
    unlabelled = type(unlabelled)(unlabelled.images, "imgs", "fashion-mnist", real=True)
    with pytest.raises(GanforgeError, match=r"need labelled images; imgs has no labels"):
        evaluate(unlabelled, against, ("class-fd",))


def test_eval_cli_prints_each_number_beside_real_data(cgan_run: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ganforge", "eval", str(cgan_run), "--n", "200", "--metrics", "conditioning,class-fd"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert "(real data: 0.99" in lines["conditioning_accuracy"] or "(real data: 0.98" in lines["conditioning_accuracy"]
    assert "(real data: " in lines["class_fd_mean"] and "class_fd_mean_real" not in lines
