"""One entry point for every metric: ``evaluate(source, against, metrics)`` -> numbers + protocol.

The metrics are those of the registry (:mod:`ganforge.metrics.registry`, ``--metrics``):

- ``fid``: Fréchet Inception Distance (pool3 features, :mod:`ganforge.metrics.inception`).
- ``kid``: Kernel Inception Distance, mean and std over subsets of 1,000 (:mod:`ganforge.metrics.kid`).
- ``pr``: improved precision / recall on Inception features, k = 3.
- ``dc``: density / coverage on Inception features, k = 5.
- ``domain``: MNIST / Fashion-MNIST only: domain FD, classifier score (the Inception Score formula with
  the domain classifier; the TF-Inception port has no logits), classes covered, class KL, confidence.
- ``modes``: Stacked MNIST only (28×28 RGB): modes covered of 1,000, KL to uniform, mean confidence
  (:mod:`ganforge.metrics.stacked`).
- ``conditioning``, ``class-fd``, ``cas``: labelled MNIST / Fashion-MNIST images (by default: a class-conditional
  generator's): conditioning accuracy, mean per-class domain FD and classification accuracy score, each beside
  real data's number (:mod:`ganforge.metrics.conditional`).

The Inception features are computed once for all the Inception metrics asked for (real sets through the
content-keyed cache).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics.cache import cache_key, cached_features
from ganforge.metrics.registry import METRICS as REGISTRY
from ganforge.metrics.registry import Inputs, Subject, applicable, asked_for, in_order
from ganforge.metrics.sources import ImageSet
from ganforge.tasks import TASKS

log = logging.getLogger(__name__)

#: Every metric ``evaluate`` computes, in report order.
METRICS = tuple(m.name for m in in_order() if m.compute is not None)
INCEPTION_METRICS = tuple(name for name in METRICS if REGISTRY.get(name).inception)
#: The k-th nearest neighbour each metric compares with: it needs more than k images on each side.
NEIGHBOURS = {name: REGISTRY.get(name).neighbours for name in METRICS if REGISTRY.get(name).neighbours}


@dataclass
class Report:
    """The numbers of one evaluation, the sizes they came from and the protocol that produced them."""

    source: str
    against: str
    n_source: int
    n_against: int
    values: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "against": self.against,
            "n_source": self.n_source,
            "n_against": self.n_against,
            "metrics": self.values,
            "details": self.details,
            "protocol": self.protocol,
            "seconds": round(self.seconds, 2),
        }


def parse_metrics(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(t.strip().lower() for t in text.split(",") if t.strip()))
    unknown = [n for n in names if n not in METRICS]
    if unknown or not names:
        raise GanforgeError(f"unknown metric(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(METRICS)}")
    return names


def subject(source: ImageSet, against: ImageSet) -> Subject:
    """What the metrics judge when ``source`` is measured against ``against``."""
    return Subject(
        name=source.name,
        reference=against.name,
        kind="images" if source.images.ndim == 4 else "points",
        shape=tuple(source.images.shape[1:]),
        dataset=against.dataset or source.dataset,
        fewest=min(len(source.images), len(against.images)),
        task=TASKS.get("conditional" if source.conditional else "unconditional"),
        labelled=source.labels is not None,
        reference_labelled=against.labels is not None,
    )


def default_metrics(source: ImageSet, against: ImageSet) -> tuple[str, ...]:
    """The metrics that apply to ``source`` against ``against`` (what ``ganforge eval`` measures by default)."""
    return tuple(m.name for m in applicable(subject(source, against)))


def evaluate(
    source: ImageSet,
    against: ImageSet,
    metrics: tuple[str, ...],
    *,
    variant: str = "auto",
    device: str = "cpu",
    kid_subsets: int = 100,
    seed: int = 0,
) -> Report:
    """Computes ``metrics`` of ``source`` against ``against`` (the reference, usually real data).

    Raises:
        GanforgeError: A metric does not apply (the message says why and what to do), or the image sizes differ.
    """
    started = time.perf_counter()
    chosen = [m for m in in_order() if m.name in metrics]  # computed and reported in the registry's order
    about = subject(source, against)
    for metric in sorted((REGISTRY.get(name) for name in metrics), key=lambda m: 0 if m.neighbours else 1):
        asked_for(metric, about)  # the neighbour counts first, then the rest, each in the order asked
    report = Report(source.name, against.name, len(source.images), len(against.images))
    report.protocol["seed"] = seed
    inception = any(m.inception for m in chosen)
    if inception and source.images.shape[-3:-1] != against.images.shape[-3:-1]:
        raise GanforgeError(
            f"image sizes differ: {source.name} is {source.images.shape[1]}x{source.images.shape[2]}, "
            f"{against.name} is {against.images.shape[1]}x{against.images.shape[2]}; compare like with like"
        )
    inputs = Inputs(source, against, seed=seed, kid_subsets=kid_subsets)
    for metric in (m for m in chosen if not m.inception):  # before the (slow) features, as reports list them
        if metric.compute is None:
            raise GanforgeError(f"the {metric.name!r} metric is computed only while training")
        metric.compute(inputs, report)
    if inception:
        from ganforge.metrics.inception import InceptionFeatures, protocol, resolve_variant

        variant = resolve_variant(variant, device)
        extractor = InceptionFeatures(variant, device=device)
        proto = protocol(variant)

        def features(s: ImageSet) -> np.ndarray:
            if not s.real:
                return extractor(s.images)
            key = cache_key(proto, s.digest())
            return cached_features(key, lambda: extractor(s.images), expected_rows=len(s.images))

        report.protocol["inception"] = proto
        fs, fa = features(source), features(against)
        inputs.inception = (fs, fa)
        if "fid" in metrics and min(len(fs), len(fa)) <= fs.shape[1]:
            log.warning("FID from %d images: no more than the %d feature dimensions, so the covariances are singular "
                        "and FID is biased upwards; compare it only with FIDs of the same image counts (the "
                        "published ones use 10,000 or 50,000)", min(len(fs), len(fa)), fs.shape[1])  # fmt: skip
        for metric in (m for m in chosen if m.inception):
            assert metric.compute is not None
            metric.compute(inputs, report)
    report.seconds = time.perf_counter() - started
    return report
