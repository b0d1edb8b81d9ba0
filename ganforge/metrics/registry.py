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
        task: What one sample is (:mod:`ganforge.tasks`): ``conditional`` for a class-conditional generator.
        labelled: The samples carry class labels (a labelled split, or the classes a conditional generator drew).
        reference_labelled: The reference carries class labels.
    """

    name: str
    reference: str
    kind: Literal["images", "points"]
    shape: tuple[int, ...]
    dataset: str | None
    fewest: int
    task: Task = field(default_factory=lambda: TASKS.get("unconditional"))
    labelled: bool = False
    reference_labelled: bool = False


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
        when_asked: ``Subject -> None`` when the metric can be computed if a user names it (``--metrics``), else
            the reason; ``None`` = :attr:`why_not`. Wider than :attr:`why_not` for metrics that are computed by
            default only where they are known to mean something (``modes`` on any 28x28 RGB images).
    """

    name: str
    description: str
    needs: tuple[str, ...]
    keys: tuple[str, ...]
    why_not: Callable[[Subject], str | None]
    compute: Callable[[Inputs, Report], None] | None = None
    neighbours: int = 0
    when_asked: Callable[[Subject], str | None] | None = None

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


def _labelled(*, reference: bool) -> Callable[[Subject], str | None]:
    """The conditional metrics on any labelled MNIST / Fashion-MNIST images (and a labelled reference)."""

    def why_not(subject: Subject) -> str | None:
        if (reason := _domain(subject)) is not None:
            return reason
        if not subject.labelled:
            return (
                f"the class-conditional metrics need labelled images; {subject.name} has no labels (measure a "
                "conditional run, a dataset split or an .npz with 'labels')"
            )
        if reference and not subject.reference_labelled:
            return f"the per-class FD needs a labelled reference; {subject.reference} has no labels (use mnist:test)"
        return None

    return why_not


def _conditional(*, reference: bool) -> Callable[[Subject], str | None]:
    """By default the conditional metrics judge class-conditional generators only."""
    labelled = _labelled(reference=reference)

    def why_not(subject: Subject) -> str | None:
        if subject.task.name != "conditional":
            return f"{subject.name} is not a class-conditional generator; ask for the metric by name to judge labels"
        return labelled(subject)

    return why_not


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


def _labels_of(inputs: Inputs) -> tuple[str, np.ndarray, np.ndarray]:
    dataset = inputs.against.dataset or inputs.source.dataset
    assert dataset is not None and inputs.source.labels is not None
    return dataset, inputs.source.images, inputs.source.labels


def _real_split(dataset: str, not_split: str | None) -> tuple[str, np.ndarray, np.ndarray]:
    """The split of ``dataset`` that is not ``not_split`` (train unless that is the reference), with its labels."""
    from ganforge.data import load_dataset

    split = "train" if not_split != "train" else "test"
    array = load_dataset(dataset, split)
    assert array.labels is not None
    return split, array.images, array.labels


def _conditioning_compute(inputs: Inputs, report: Report) -> None:
    from ganforge.data import load_dataset
    from ganforge.metrics import conditional

    dataset, images, labels = _labels_of(inputs)
    report.values["conditioning_accuracy"] = conditional.conditioning_accuracy(images, labels, dataset)
    real = load_dataset(dataset, "test")
    assert real.labels is not None
    report.values["conditioning_accuracy_real"] = conditional.conditioning_accuracy(real.images, real.labels, dataset)
    report.protocol["conditioning"] = {**conditional.protocol(dataset), "real": f"{dataset}:test"}


def _class_fd_compute(inputs: Inputs, report: Report) -> None:
    from ganforge.metrics import conditional

    dataset, images, labels = _labels_of(inputs)
    ref_labels = inputs.against.labels
    assert ref_labels is not None
    fd = conditional.class_fd(images, labels, inputs.against.images, ref_labels, dataset)
    report.values["class_fd_mean"] = fd.mean
    report.details["class_fd"] = fd.per_class
    # Real data's number: as many images of each class from the other split, against the same reference.
    split, real_images, real_labels = _real_split(dataset, inputs.against.split)
    counts = np.bincount(labels, minlength=len(fd.per_class))
    real_images, real_labels = conditional.matched_subset(real_images, real_labels, counts, inputs.seed)
    real = conditional.class_fd(real_images, real_labels, inputs.against.images, ref_labels, dataset)
    report.values["class_fd_mean_real"] = real.mean
    report.protocol["class-fd"] = {**conditional.protocol(dataset), "real": f"{dataset}:{split}, same per-class counts"}


def _cas_compute(inputs: Inputs, report: Report) -> None:
    from ganforge.data import load_dataset
    from ganforge.metrics import conditional

    dataset, images, labels = _labels_of(inputs)
    test = load_dataset(dataset, "test")
    assert test.labels is not None
    score = conditional.classification_accuracy_score
    report.values["cas"] = score(images, labels, test.images, test.labels, seed=inputs.seed)
    _, real_images, real_labels = _real_split(dataset, "test")  # trained on real training images, same counts
    counts = np.bincount(labels, minlength=test.num_classes)
    real_images, real_labels = conditional.matched_subset(real_images, real_labels, counts, inputs.seed)
    report.values["cas_real"] = score(real_images, real_labels, test.images, test.labels, seed=inputs.seed)
    report.protocol["cas"] = {**conditional.protocol(dataset), "test": f"{dataset}:test",
                              "real": f"{dataset}:train, same per-class counts"}  # fmt: skip


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
           _modes_compute, when_asked=_stacked),
    Metric("conditioning", "class-conditional: share of G(z, y) the domain classifier labels y, beside real data's",
           ("samples", "labels", "domain-classifier"), ("conditioning_accuracy", "conditioning_accuracy_real"),
           _conditional(reference=False), _conditioning_compute, when_asked=_labelled(reference=False)),
    Metric("class-fd", "class-conditional: mean per-class domain FD, beside real data's (other split)",
           ("samples", "labels", "reference", "domain-classifier"), ("class_fd_mean", "class_fd_mean_real"),
           _conditional(reference=True), _class_fd_compute, when_asked=_labelled(reference=True)),
    Metric("cas", "class-conditional: accuracy on the real test split of a classifier trained on the samples",
           ("samples", "labels", "domain-classifier"), ("cas", "cas_real"), _conditional(reference=False),
           _cas_compute, when_asked=_labelled(reference=False)),
    Metric("modes2d", "2D points: modes captured, high-quality fraction, reverse KL (generator only, while training)",
           ("samples", "mode-centres"), ("modes_captured", "high_quality", "reverse_kl"), _points),
):  # fmt: skip
    register(_metric)


def asked_for(metric: Metric, subject: Subject) -> None:
    """Checks a metric the user named explicitly (:attr:`Metric.when_asked`)."""
    reason = (metric.when_asked or metric.why_not)(subject)
    if reason is not None:
        raise GanforgeError(reason)
