"""The metric registry: what each metric needs and when it applies; eval and training choose through it."""

from __future__ import annotations

import numpy as np
import pytest

from ganforge.config import load_preset
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.evaluation import domain_dataset, is_stacked_mnist, run_subject
from ganforge.metrics.evaluate import METRICS as EVAL_METRICS
from ganforge.metrics.evaluate import default_metrics, evaluate
from ganforge.metrics.registry import METRICS, Subject, applicable
from ganforge.metrics.sources import ImageSet


def _subject(shape: tuple[int, ...], dataset: str | None, fewest: int = 1000) -> Subject:
    return Subject("x", "ref", "images" if len(shape) == 3 else "points", shape, dataset, fewest)


def test_each_metric_declares_needs_and_keys() -> None:
    # what ganforge eval can compute
    assert EVAL_METRICS == ("fid", "kid", "pr", "dc", "domain", "modes", "conditioning", "class-fd", "cas")
    assert set(METRICS.names()) == {*EVAL_METRICS, "modes2d"}
    for name in METRICS.names():
        metric = METRICS.get(name)
        assert "samples" in metric.needs and metric.keys and metric.description
    assert METRICS.get("dc").neighbours == 5 and METRICS.get("fid").inception and not METRICS.get("domain").inception


@pytest.mark.parametrize(
    ("shape", "dataset", "fewest", "expected"),
    [
        ((28, 28, 1), "mnist", 1000, ["fid", "kid", "pr", "dc", "domain"]),
        ((28, 28, 1), "fashion-mnist", 1000, ["fid", "kid", "pr", "dc", "domain"]),
        ((32, 32, 1), "mnist", 1000, ["fid", "kid", "pr", "dc"]),  # resized: the classifier is for 28x28
        ((28, 28, 3), "stacked-mnist", 1000, ["fid", "kid", "pr", "dc", "modes"]),
        ((28, 28, 3), None, 1000, ["fid", "kid", "pr", "dc"]),  # not known to be Stacked MNIST
        ((64, 64, 3), None, 4, ["fid", "kid", "pr"]),  # 4 images: dc's k = 5 neighbours do not fit
        ((2,), "ring8", 1000, []),  # points: nothing ganforge eval computes
    ],
)
def test_applicable(shape: tuple[int, ...], dataset: str | None, fewest: int, expected: list[str]) -> None:
    assert [m.name for m in applicable(_subject(shape, dataset, fewest))] == expected
    if len(shape) == 1:
        assert [m.name for m in applicable(_subject(shape, dataset), computable=False)] == ["modes2d"]


def test_training_and_eval_choose_through_the_registry() -> None:
    mnist = load_dataset("mnist", "test")
    cfg = load_preset("mnist-dcgan")
    assert run_subject(cfg, mnist).task.name == "unconditional"
    assert domain_dataset(cfg, mnist) == "mnist" and not is_stacked_mnist(cfg, mnist)
    source = ImageSet(mnist.images[:200], "mnist:test[:200]", "mnist", real=True)
    against = ImageSet(mnist.images[200:400], "mnist:test[200:400]", "mnist", real=True)
    assert default_metrics(source, against) == ("fid", "kid", "pr", "dc", "domain")
    report = evaluate(source, against, ("domain",))
    assert set(report.values) == set(METRICS.get("domain").keys)
    assert report.values["classes_covered"] == 10 and 0 < report.values["domain_fd"] < 5


def test_a_metric_that_does_not_apply_says_why() -> None:
    rgb = ImageSet(np.zeros((8, 28, 28, 3), np.uint8), "folder", None, real=True)
    with pytest.raises(GanforgeError, match=r"domain metrics need MNIST or Fashion-MNIST; neither folder nor folder"):
        evaluate(rgb, rgb, ("domain",))
    with pytest.raises(GanforgeError, match=r"k = 5 nearest neighbours.*got 4"):
        evaluate(ImageSet(rgb.images[:4], "four", None, real=True), rgb, ("dc",))
    grey = ImageSet(np.zeros((8, 28, 28, 1), np.uint8), "grey", None, real=True)
    with pytest.raises(GanforgeError, match=r"'modes' metric is for Stacked MNIST \(28x28 RGB images\); grey"):
        evaluate(grey, grey, ("modes",))
