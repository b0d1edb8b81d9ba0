"""The metric registry: each metric says what it needs, when it applies, and how it is computed.

``ganforge eval`` (:func:`ganforge.metrics.evaluate.evaluate`), in-training evaluation
(:mod:`ganforge.evaluation`) and ``ganforge bench`` all choose metrics here: :func:`applicable` lists the
metrics that apply to a :class:`Subject` (what is judged, as far as it is known before anything is computed), and
:attr:`Metric.why_not` explains why one does not, naming the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.registry import Registry
from ganforge.tasks import TASKS, Task

if TYPE_CHECKING:
    from ganforge.metrics.evaluate import Report
    from ganforge.metrics.sources import ImageSet

#: Domain classifiers ship for these datasets (28x28 grey).
DOMAIN_DATASETS = ("mnist", "fashion-mnist")


@dataclass(frozen=True)
class Subject:
    """What a metric would judge.

    Attributes:
        name: The samples' name in messages (a run, folder, dataset split).
        reference: The reference's name in messages (``""`` when there is none).
        kind: ``images`` (``[N, H, W, C]`` uint8) or ``points`` (``[N, D]``).
        shape: Shape of one sample: ``(H, W, C)`` or ``(D,)``.
        dataset: The dataset the samples are known to belong to (from the source or its reference), if any.
        fewest: Samples on the smaller side (source or reference).
        task: What one sample is (:mod:`ganforge.tasks`).
    """

    name: str
    reference: str
    kind: Literal["images", "points"]
    shape: tuple[int, ...]
    dataset: str | None
    fewest: int
    task: Task = field(default_factory=lambda: TASKS.get("unconditional"))


@dataclass
class Inputs:
    """What :attr:`Metric.compute` reads: the two sets and, once computed, their shared features."""

    source: ImageSet
    against: ImageSet
    seed: int = 0
    kid_subsets: int = 100
    inception: tuple[np.ndarray, np.ndarray] | None = None  # [N, 2048] features of source, against


@dataclass(frozen=True)
class Metric:
    """A registered metric.

    Attributes:
        name: Registry name (``--metrics``).
        description: One line for listings.
        needs: What it consumes: ``samples``, ``reference`` (real images to compare with), ``inception`` (the
            shared Inception features), ``domain-classifier``, ``mode-classifier``, ``mode-centres``.
        keys: The numbers it reports.
        why_not: ``Subject -> None`` when the metric applies, else the reason, naming the fix.
        compute: ``(Inputs, Report) -> None``: adds its numbers (and protocol) to the report; ``None`` for a metric
            computed only while training (the 2D mode metrics, from the generator's points).
        neighbours: The k of a k-nearest-neighbour metric (it needs more than k samples on each side), else 0.
    """

    name: str
    description: str
    needs: tuple[str, ...]
    keys: tuple[str, ...]
    why_not: Callable[[Subject], str | None]
    compute: Callable[[Inputs, Report], None] | None = None
    neighbours: int = 0

    @property
    def inception(self) -> bool:
        return "inception" in self.needs


METRICS: Registry[Metric] = Registry("metric")


def applicable(subject: Subject, *, computable: bool = True) -> list[Metric]:
    """The registered metrics that apply to ``subject``, in registration order (``computable``: only those
    :func:`~ganforge.metrics.evaluate.evaluate` can compute from two sample sets)."""
    return [m for m in _ORDER if m.why_not(subject) is None and (m.compute is not None or not computable)]


_ORDER: list[Metric] = []


def in_order() -> list[Metric]:
    """Every registered metric, in registration order (the order reports list their numbers)."""
    return list(_ORDER)


def register(metric: Metric) -> Metric:
    """Adds ``metric`` to :data:`METRICS` (its position is its place in listings and reports)."""
    METRICS.add(metric.name, metric)
    _ORDER.append(metric)
    return metric


# --------------------------------------------------------------------------------------- when each applies


def _images(subject: Subject) -> str | None:
    if subject.kind != "images":
        return f"{subject.name} holds 2D points, not images; measure it with `ganforge bench modes2d`"
    return None


def _inception(k: int, name: str) -> Callable[[Subject], str | None]:
    def why_not(subject: Subject) -> str | None:
        if (reason := _images(subject)) is not None:
            return reason
        if subject.fewest <= k:
            return (
                f"the {name!r} metric compares each image with its k = {k} nearest neighbours, so it needs more "
                f"than {k} images on each side, got {subject.fewest}: measure more images (--n) or leave {name!r} "
                "out of --metrics"
            )
        return None

    return why_not


def _domain(subject: Subject) -> str | None:
    if (reason := _images(subject)) is not None:
        return reason
    if subject.dataset not in DOMAIN_DATASETS:
        against = f" nor {subject.reference}" if subject.reference else ""
        return (
            f"the domain metrics need MNIST or Fashion-MNIST; neither {subject.name}{against} is known "
            "to be one: compare against mnist:test / fashion-mnist:test, or drop 'domain' from --metrics"
        )
    if subject.shape != (28, 28, 1):
        return f"the domain metrics judge 28x28 grey images; {subject.name} has images of shape {list(subject.shape)}"
    return None


def _stacked(subject: Subject) -> str | None:
    if subject.kind != "images" or subject.shape != (28, 28, 3):
        return (f"the 'modes' metric is for Stacked MNIST (28x28 RGB images); {subject.name} has "
                f"images of shape {list(subject.shape)}")  # fmt: skip
    return None


def _stacked_known(subject: Subject) -> str | None:
    """``modes`` applies by default only when the data is known to be Stacked MNIST (asked for, any 28x28 RGB)."""
    if (reason := _stacked(subject)) is not None:
        return reason
    if subject.dataset != "stacked-mnist":
        return f"{subject.name} is not known to be Stacked MNIST; ask for --metrics modes to measure it as such"
    return None


def _points(subject: Subject) -> str | None:
    if subject.kind != "points":
        return "the 2D mode metrics are for 2D point datasets (ring8, grid25)"
    return None


# ------------------------------------------------------------------------------------------- computations


def _fid(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics.frechet import GaussianStats, frechet_distance

    assert inputs.inception is not None
    fs, fa = inputs.inception
    report.values["fid"] = frechet_distance(GaussianStats.of(fs), GaussianStats.of(fa))


def _kid(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics.kid import kernel_distance

    assert inputs.inception is not None
    kid = kernel_distance(*inputs.inception, subsets=inputs.kid_subsets, seed=inputs.seed)
    report.values.update({"kid": kid.mean, "kid_std": kid.std})
    report.protocol["kid"] = {"subset_size": kid.subset_size, "subsets": kid.subsets}


def _pr(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics.prdc import precision_recall

    assert inputs.inception is not None
    fs, fa = inputs.inception
    p, r = precision_recall(fa, fs, k=METRICS.get("pr").neighbours)
    report.values.update({"precision": p, "recall": r})


def _dc(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics.prdc import density_coverage

    assert inputs.inception is not None
    fs, fa = inputs.inception
    d, c = density_coverage(fa, fs, k=METRICS.get("dc").neighbours)
    report.values.update({"density": d, "coverage": c})


def _domain_compute(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics import domain

    dataset = inputs.against.dataset or inputs.source.dataset
    assert dataset is not None
    m = domain.domain_metrics(inputs.source.images, dataset, reference=inputs.against.images)
    report.values.update({k: v for k, v in m.as_dict().items() if k != "class_histogram"})
    report.details["class_histogram"] = list(m.class_histogram)
    report.protocol["domain"] = {"dataset": dataset, **domain.protocol(dataset)}


def _modes_compute(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics import domain
    from ganforge.metrics.stacked import stacked_mode_metrics

    sm = stacked_mode_metrics(inputs.source.images)
    report.values.update({"modes_covered": sm.modes_covered, "mode_kl": sm.kl, "mean_confidence": sm.mean_confidence})
    report.protocol["modes"] = {"dataset": "stacked-mnist", "per_channel": domain.protocol("mnist")}


_ON_INCEPTION = ("samples", "reference", "inception")

for _metric in (
    Metric("fid", "Fréchet Inception Distance (pool3 features)", _ON_INCEPTION, ("fid",),
           _inception(0, "fid"), _fid),
    Metric("kid", "Kernel Inception Distance, mean and std over subsets of 1,000", _ON_INCEPTION,
           ("kid", "kid_std"), _inception(0, "kid"), _kid),
    Metric("pr", "improved precision / recall on Inception features, k = 3", _ON_INCEPTION,
           ("precision", "recall"), _inception(3, "pr"), _pr, neighbours=3),
    Metric("dc", "density / coverage on Inception features, k = 5", _ON_INCEPTION,
           ("density", "coverage"), _inception(5, "dc"), _dc, neighbours=5),
    Metric("domain", "MNIST / Fashion-MNIST: domain FD, classifier score, classes covered, class KL, confidence",
           ("samples", "reference", "domain-classifier"),
           ("domain_fd", "classifier_score", "classes_covered", "class_kl", "mean_confidence"), _domain,
           _domain_compute),
    Metric("modes", "Stacked MNIST (28x28 RGB): modes covered of 1,000, KL to uniform, mean confidence",
           ("samples", "mode-classifier"), ("modes_covered", "mode_kl", "mean_confidence"), _stacked_known,
           _modes_compute),
    Metric("modes2d", "2D points: modes captured, high-quality fraction, reverse KL (generator only, while training)",
           ("samples", "mode-centres"), ("modes_captured", "high_quality", "reverse_kl"), _points),
):  # fmt: skip
    register(_metric)


def asked_for(metric: Metric, subject: Subject) -> None:
    """Checks a metric the user named explicitly (``modes`` on any 28x28 RGB images, not only known Stacked MNIST)."""
    reason = _stacked(subject) if metric.name == "modes" else metric.why_not(subject)
    if reason is not None:
        raise GanforgeError(reason)
