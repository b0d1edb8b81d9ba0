"""Metrics of a generator while it trains: fast domain metrics, optional small-sample Inception FID.

Used by the training run every ``eval.every`` steps; stand-alone (it knows only a generator module).
The generated images come from fixed latents (``seed``), so two evaluations differ only because the
generator changed, and evaluating never touches the training random streams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from torch import nn

from ganforge.data import ImageArray
from ganforge.metrics.domain import CLASSIFIERS, domain_metrics
from ganforge.metrics.frechet import GaussianStats, frechet_distance
from ganforge.metrics.modes2d import mode_metrics
from ganforge.metrics.sources import random_subset
from ganforge.metrics.stacked import stacked_mode_metrics
from ganforge.sampling.generate import generate

if TYPE_CHECKING:
    from ganforge.metrics.inception import InceptionFeatures


class GeneratorMonitor:
    """Computes ``{"domain_fd", "classifier_score", "classes_covered", "class_kl", "mean_confidence", "fid"}``,
    and for a class-conditional generator ``conditioning_accuracy`` and ``class_fd_mean``
    (:mod:`ganforge.metrics.conditional`; the classes are drawn in turn, ``samples / K`` of each).

    Args:
        reference: Real images the distances are measured against (the test split for MNIST-like data).
        dataset: ``mnist`` / ``fashion-mnist`` for the domain metrics; ``None`` = no domain metrics.
        samples: Generated images for the domain metrics.
        inception_samples: Generated (and reference) images for Inception FID; 0 = off.
        seed: Latent seed of the evaluation samples.
        conditional: The generator is class-conditional: judge its classes against ``reference``'s labels.
    """

    def __init__(
        self,
        reference: ImageArray,
        *,
        dataset: str | None,
        samples: int,
        inception_samples: int,
        seed: int,
        conditional: bool = False,
    ) -> None:
        if dataset is not None and dataset not in CLASSIFIERS:
            raise ValueError(f"no domain classifier for {dataset!r}")
        self.reference = reference
        self.dataset = dataset
        self.samples = samples
        self.inception_samples = inception_samples
        self.seed = seed
        self.conditional = conditional and dataset is not None and reference.labels is not None
        self._inception_ref: GaussianStats | None = None
        self._reference_features: np.ndarray | None = None
        self._extractor: InceptionFeatures | None = None

    def __call__(self, generator: nn.Module) -> dict[str, float]:
        """Metric values of the generator's current weights."""
        n = max(self.samples if self.dataset else 0, self.inception_samples)
        images, labels = generate(generator, n, seed=self.seed)
        values: dict[str, float] = {}
        if self.dataset is not None:
            m = domain_metrics(images[: self.samples], self.dataset)
            values.update({k: float(v) for k, v in m.as_dict().items() if k != "class_histogram"})
        if self.conditional and labels is not None and self.dataset is not None:
            from ganforge.metrics.conditional import class_fd_of_features
            from ganforge.metrics.domain import classify, load_classifier

            assert self.reference.labels is not None
            model = load_classifier(self.dataset)
            if self._reference_features is None:  # once per run: the reference does not change
                self._reference_features = classify(model, self.reference.images)[0]
            y = labels[: self.samples]
            features, probs = classify(model, images[: self.samples])
            values["conditioning_accuracy"] = float((probs.argmax(1) == y).mean())
            values["class_fd_mean"] = class_fd_of_features(
                features, y, self._reference_features, self.reference.labels, probs.shape[1]
            ).mean
        if self.inception_samples:
            if self._extractor is None:  # loaded once per run: the network is 87 MB and checksummed
                from ganforge.metrics.inception import InceptionFeatures

                self._extractor = InceptionFeatures("auto")
            if self._inception_ref is None:
                ref = random_subset(self.reference.images, self.inception_samples, seed=0)  # as `eval --n` draws
                self._inception_ref = GaussianStats.of(self._extractor(ref))
            fake = GaussianStats.of(self._extractor(images[: self.inception_samples]))
            values["fid"] = frechet_distance(fake, self._inception_ref)
        return values


class TranslationMonitor:
    """PSNR, SSIM and (MNIST-like data) domain FD and label preservation of a translation generator's outputs on
    fixed pairs (:mod:`ganforge.metrics.translation`).

    Args:
        pairs: uint8 ``[N, H, 2W, C]``: inputs A and targets B side by side.
        labels: ``[N]`` classes of B, or ``None``.
        dataset: ``mnist`` / ``fashion-mnist`` for the domain metrics, or ``None``.
    """

    def __init__(self, pairs: np.ndarray, *, labels: np.ndarray | None, dataset: str | None) -> None:
        w = pairs.shape[2] // 2
        self.a, self.b, self.labels, self.dataset = pairs[:, :, :w], pairs[:, :, w:], labels, dataset

    def __call__(self, generator: nn.Module) -> dict[str, float]:
        from ganforge.metrics.translation import translation_metrics
        from ganforge.sampling.translate import translate

        return translation_metrics(translate(generator, self.a), self.b, labels=self.labels, dataset=self.dataset)


class PointMonitor:
    """Mode metrics (:mod:`ganforge.metrics.modes2d`) of a point generator on fixed latents.

    Args:
        modes: ``[K, D]`` mixture means.
        std: Mixture standard deviation.
        samples: Generated points per evaluation (the published protocol uses 2,500).
        seed: Latent seed.
    """

    def __init__(self, modes: np.ndarray, std: float, *, samples: int, seed: int) -> None:
        self.modes, self.std, self.samples, self.seed = modes, std, samples, seed

    def __call__(self, generator: nn.Module) -> dict[str, float]:
        points, _ = generate(generator, self.samples, seed=self.seed)
        return mode_metrics(points, self.modes, self.std).as_dict()


class StackedMonitor:
    """Stacked-MNIST mode metrics (:mod:`ganforge.metrics.stacked`) of a generator on fixed latents.

    Args:
        samples: Generated images per evaluation (the papers use 26,000 at the end; fewer while training).
        seed: Latent seed.
    """

    def __init__(self, *, samples: int, seed: int) -> None:
        self.samples, self.seed = samples, seed

    def __call__(self, generator: nn.Module) -> dict[str, float]:
        images, _ = generate(generator, self.samples, seed=self.seed)
        return stacked_mode_metrics(images).as_dict()


def collapse_alarm(values: dict[str, float], num_classes: int, max_kl: float) -> str | None:
    """A message when the class (or mode) histogram looks collapsed: modes missing or KL above ``max_kl``.

    Missing means any of up to 99 classes or modes, or more than 1% of them beyond that: a healthy Stacked MNIST
    generator misses one or two of its 1,000 modes in 10,000 draws by chance (its rarest modes are drawn ~3 times).
    """
    if "modes_captured" in values:
        covered, kl, what, one = int(values["modes_captured"]), values["reverse_kl"], "modes", "mode"
    elif "modes_covered" in values:
        covered, kl, what, one = int(values["modes_covered"]), values["mode_kl"], "modes", "mode"
    elif "classes_covered" in values:
        covered, kl, what, one = int(values["classes_covered"]), values["class_kl"], "classes", "class"
    else:
        return None
    if num_classes - covered > num_classes // 100 or kl > max_kl:
        return (
            f"mode-collapse alarm: the generator covers {covered} of {num_classes} {what}, KL({one} histogram "
            f"|| uniform) = {kl:.3f} (alarm above {max_kl}); consider more D regularisation (recipe.r1_gamma), "
            "a lower learning rate, or resuming from an earlier checkpoint"
        )
    return None
