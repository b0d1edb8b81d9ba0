"""One entry point for every metric: ``evaluate(source, against, metrics)`` -> numbers + protocol.

Metric names (``--metrics``):

- ``fid``: Fréchet Inception Distance (pool3 features, :mod:`ganforge.metrics.inception`).
- ``kid``: Kernel Inception Distance, mean and std over subsets of 1,000 (:mod:`ganforge.metrics.kid`).
- ``pr``: improved precision / recall on Inception features, k = 3.
- ``dc``: density / coverage on Inception features, k = 5.
- ``domain``: MNIST / Fashion-MNIST only: domain FD, classifier score (the Inception Score formula with
  the domain classifier; the TF-Inception port has no logits), classes covered, class KL, confidence.
- ``modes``: Stacked MNIST only (28×28 RGB): modes covered of 1,000, KL to uniform, mean confidence
  (:mod:`ganforge.metrics.stacked`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ganforge.errors import GanforgeError
from ganforge.metrics import domain
from ganforge.metrics.cache import cache_key, cached_features
from ganforge.metrics.frechet import GaussianStats, frechet_distance
from ganforge.metrics.kid import kernel_distance
from ganforge.metrics.prdc import density_coverage, precision_recall
from ganforge.metrics.sources import ImageSet

log = logging.getLogger(__name__)

METRICS = ("fid", "kid", "pr", "dc", "domain", "modes")
INCEPTION_METRICS = ("fid", "kid", "pr", "dc")
#: The k-th nearest neighbour each metric compares with: it needs more than k images on each side.
NEIGHBOURS = {"pr": 3, "dc": 5}


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


def _domain_dataset(source: ImageSet, against: ImageSet) -> str:
    dataset = against.dataset or source.dataset
    if dataset not in domain.CLASSIFIERS:
        raise GanforgeError(
            f"the domain metrics need MNIST or Fashion-MNIST; neither {source.name} nor {against.name} is known "
            "to be one: compare against mnist:test / fashion-mnist:test, or drop 'domain' from --metrics"
        )
    return dataset


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
    """Computes ``metrics`` of ``source`` against ``against`` (the reference, usually real data)."""
    started = time.perf_counter()
    fewest = min(len(source.images), len(against.images))
    for metric in metrics:
        if fewest <= NEIGHBOURS.get(metric, 0):
            k = NEIGHBOURS[metric]
            raise GanforgeError(
                f"the {metric!r} metric compares each image with its k = {k} nearest neighbours, so it needs more "
                f"than {k} images on each side, got {fewest}: measure more images (--n) or leave {metric!r} out of "
                "--metrics"
            )
    report = Report(source.name, against.name, len(source.images), len(against.images))
    report.protocol["seed"] = seed
    if "domain" in metrics:
        dataset = _domain_dataset(source, against)
        m = domain.domain_metrics(source.images, dataset, reference=against.images)
        report.values.update({k: v for k, v in m.as_dict().items() if k != "class_histogram"})
        report.details["class_histogram"] = list(m.class_histogram)
        report.protocol["domain"] = {"dataset": dataset, **domain.protocol(dataset)}
    if "modes" in metrics:
        from ganforge.metrics.stacked import stacked_mode_metrics

        if source.images.shape[1:] != (28, 28, 3):
            raise GanforgeError(f"the 'modes' metric is for Stacked MNIST (28x28 RGB images); {source.name} has "
                                f"images of shape {list(source.images.shape[1:])}")  # fmt: skip
        sm = stacked_mode_metrics(source.images)
        report.values.update(
            {"modes_covered": sm.modes_covered, "mode_kl": sm.kl, "mean_confidence": sm.mean_confidence}
        )
        report.protocol["modes"] = {"dataset": "stacked-mnist", "per_channel": domain.protocol("mnist")}
    wanted = [m for m in metrics if m in INCEPTION_METRICS]
    if wanted:
        from ganforge.metrics.inception import InceptionFeatures, protocol, resolve_variant

        if source.images.shape[-3:-1] != against.images.shape[-3:-1]:
            raise GanforgeError(
                f"image sizes differ: {source.name} is {source.images.shape[1]}x{source.images.shape[2]}, "
                f"{against.name} is {against.images.shape[1]}x{against.images.shape[2]}; compare like with like"
            )
        variant = resolve_variant(variant, device)
        extractor = InceptionFeatures(variant, device=device)
        proto = protocol(variant)
        report.protocol["inception"] = proto

        def features(s: ImageSet) -> np.ndarray:
            if not s.real:
                return extractor(s.images)
            key = cache_key(proto, s.digest())
            return cached_features(key, lambda: extractor(s.images), expected_rows=len(s.images))

        fs, fa = features(source), features(against)
        if "fid" in wanted and min(len(fs), len(fa)) <= fs.shape[1]:
            log.warning("FID from %d images: no more than the %d feature dimensions, so the covariances are singular "
                        "and FID is biased upwards; compare it only with FIDs of the same image counts (the "
                        "published ones use 10,000 or 50,000)", min(len(fs), len(fa)), fs.shape[1])  # fmt: skip
        if "fid" in wanted:
            report.values["fid"] = frechet_distance(GaussianStats.of(fs), GaussianStats.of(fa))
        if "kid" in wanted:
            kid = kernel_distance(fs, fa, subsets=kid_subsets, seed=seed)
            report.values.update({"kid": kid.mean, "kid_std": kid.std})
            report.protocol["kid"] = {"subset_size": kid.subset_size, "subsets": kid.subsets}
        if "pr" in wanted:
            p, r = precision_recall(fa, fs, k=NEIGHBOURS["pr"])
            report.values.update({"precision": p, "recall": r})
        if "dc" in wanted:
            d, c = density_coverage(fa, fs, k=NEIGHBOURS["dc"])
            report.values.update({"density": d, "coverage": c})
    report.seconds = time.perf_counter() - started
    return report
