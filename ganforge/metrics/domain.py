"""A domain evaluator for MNIST and Fashion-MNIST: a small CNN classifier shipped with the package.

Inception features are slow on a CPU and many researchers find them meaningless for 28×28 digits, so
ganforge also ships one classifier per dataset (trained by ``scripts/train_domain_classifier.py`` on
the training split; test accuracy in its metadata). It gives fast metrics for training and CI:

- ``domain_fd``: Fréchet distance between the classifier's 128-d penultimate features of the images and
  of the dataset's test split (the FID formula on domain features).
- ``classifier_score``: exp(E_x KL(p(y|x) ‖ p(y))), the Inception Score formula with this classifier.
- ``classes_covered``: classes predicted for at least 10% of their uniform share (N / K / 10 images).
- ``class_kl``: KL(class histogram ‖ uniform) in nats; 0 = perfectly balanced, log K = one class only.
- ``mean_confidence``: mean max-softmax probability; low values mean ambiguous, blurry images.

The classifiers are trained with label smoothing 0.05, so confidences top out near 0.96: real MNIST test
images score a classifier score of about 7.7 and a mean confidence of about 0.955 (not 10 and 1).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file
from torch import Tensor, nn

from ganforge.errors import GanforgeError
from ganforge.metrics.frechet import GaussianStats, frechet_distance

ASSETS = Path(__file__).resolve().parent.parent / "assets"
#: Dataset name -> shipped weights (file name, SHA-256). Retraining updates both.
CLASSIFIERS: dict[str, tuple[str, str]] = {
    "mnist": ("domain_mnist.safetensors", "5eb811d5510c4b86e6ae921e60d1fcd481fdf8470b136e88c024c68358399e26"),
    "fashion-mnist": (
        "domain_fashion_mnist.safetensors",
        "7ae92d5007adb2ecf2c04022293edd475a39088851c85253b8f32534a7304df6",
    ),
}
COVERAGE_SHARE = 0.1


class DomainClassifier(nn.Module):
    """Two VGG-style conv blocks and a 128-unit feature layer, for ``[B, 1, 28, 28]`` images in [-1, 1].

    Args:
        num_classes: Output classes (10 for MNIST / Fashion-MNIST).
        width: Channels of the first block (the second has ``2 * width``).
        features: Size of the penultimate layer used for Fréchet distances.

    Attributes:
        config: The constructor arguments, stored in the weights file's metadata.
    """

    def __init__(self, *, num_classes: int = 10, width: int = 32, features: int = 128) -> None:
        super().__init__()
        self.config: dict[str, Any] = {"num_classes": num_classes, "width": width, "features": features}

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        w = width
        self.body = nn.Sequential(
            *block(1, w), *block(w, w), nn.MaxPool2d(2),  # 28 -> 14
            *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),  # 14 -> 7
            nn.Flatten(),
            nn.Linear(2 * w * 7 * 7, features, bias=False), nn.BatchNorm1d(features), nn.ReLU(),
        )  # fmt: skip
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(features, num_classes)

    def features(self, x: Tensor) -> Tensor:
        """``[B, 1, 28, 28]`` in [-1, 1] -> ``[B, features]``."""
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        """``[B, 1, 28, 28]`` in [-1, 1] -> logits ``[B, num_classes]``."""
        return self.head(self.dropout(self.features(x)))


def to_input(images: np.ndarray) -> Tensor:
    """uint8 ``[N, 28, 28, 1]`` -> float ``[N, 1, 28, 28]`` in [-1, 1] (the GAN output convention)."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (28, 28, 1):
        raise GanforgeError(
            f"domain metrics need uint8 grayscale 28x28 images [N, 28, 28, 1], got {images.dtype} "
            f"{list(images.shape)}; use Inception metrics for other images"
        )
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def load_classifier(dataset: str) -> DomainClassifier:
    """The shipped classifier for ``dataset`` (``mnist`` or ``fashion-mnist``), checksum-verified, eval mode."""
    if dataset not in CLASSIFIERS:
        raise GanforgeError(
            f"no domain classifier for {dataset!r}; there are classifiers for {', '.join(sorted(CLASSIFIERS))}"
        )
    name, digest = CLASSIFIERS[dataset]
    path = ASSETS / name
    if not path.is_file():
        raise GanforgeError(f"{path} is missing; reinstall ganforge (it ships the domain classifiers)")
    if _sha256(path) != digest:
        raise GanforgeError(f"{path} fails its SHA-256 check; reinstall ganforge or retrain the classifier")
    return _read_classifier(path)


def _read_classifier(path: Path) -> DomainClassifier:
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    with torch.device("meta"):  # no random initialisation: it would draw from (and move) the global RNG
        model = DomainClassifier(**json.loads(meta["config"]))
    model.load_state_dict(load_file(str(path)), strict=True, assign=True)
    return model.eval()


def classifier_metadata(dataset: str) -> dict[str, Any]:
    """The training record stored with the shipped classifier (test accuracy, epochs, data digest)."""
    load_classifier(dataset)
    with safe_open(str(ASSETS / CLASSIFIERS[dataset][0]), framework="pt") as fh:
        meta = fh.metadata() or {}
    return {k: json.loads(v) for k, v in meta.items()}


@torch.no_grad()
def classify(model: DomainClassifier, images: np.ndarray, batch_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Features ``[N, F]`` (float64) and class probabilities ``[N, K]`` of uint8 images."""
    feats, probs = [], []
    for start in range(0, len(images), batch_size):
        x = to_input(images[start : start + batch_size])
        f = model.features(x)
        feats.append(f.double().numpy())
        probs.append(F.softmax(model.head(f), dim=1).double().numpy())
    return np.concatenate(feats), np.concatenate(probs)


@functools.lru_cache(maxsize=4)
def reference_stats(dataset: str) -> GaussianStats:
    """Feature statistics of the dataset's test split (computed once per process, ~1 s)."""
    from ganforge.data import load_dataset

    feats, _ = classify(load_classifier(dataset), load_dataset(dataset, "test").images)
    return GaussianStats.of(feats)


@dataclass(frozen=True)
class DomainMetrics:
    """The domain metrics of one set of images (see the module docstring)."""

    domain_fd: float
    classifier_score: float
    classes_covered: int
    class_kl: float
    mean_confidence: float
    class_histogram: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain_fd": self.domain_fd,
            "classifier_score": self.classifier_score,
            "classes_covered": self.classes_covered,
            "class_kl": self.class_kl,
            "mean_confidence": self.mean_confidence,
            "class_histogram": list(self.class_histogram),
        }


def class_statistics(probs: np.ndarray) -> tuple[float, int, float, float, np.ndarray]:
    """Classifier score, classes covered, KL to uniform, mean confidence and histogram from ``probs [N, K]``."""
    n, k = probs.shape
    eps = 1e-12
    marginal = probs.mean(axis=0)
    kl_per_image = (probs * (np.log(probs + eps) - np.log(marginal + eps))).sum(axis=1)
    score = float(np.exp(kl_per_image.mean()))
    hist = np.bincount(probs.argmax(axis=1), minlength=k)
    covered = int((hist >= COVERAGE_SHARE * n / k).sum())
    freq = hist / n
    nz = freq > 0
    class_kl = float((freq[nz] * np.log(freq[nz] * k)).sum())
    return score, covered, class_kl, float(probs.max(axis=1).mean()), hist


def protocol(dataset: str) -> dict[str, Any]:
    """How the domain numbers were made: the classifier file, its checksum and its test accuracy."""
    name, digest = CLASSIFIERS[dataset]
    return {
        "classifier": name,
        "classifier_sha256": digest,
        "test_accuracy": classifier_metadata(dataset)["test_accuracy"],
        "features": "penultimate layer (128-d)",
        "coverage_share": COVERAGE_SHARE,
    }


def domain_metrics(images: np.ndarray, dataset: str, reference: np.ndarray | None = None) -> DomainMetrics:
    """All domain metrics of uint8 ``[N, 28, 28, 1]`` images.

    Args:
        images: The images to judge (generated ones, usually).
        dataset: ``mnist`` or ``fashion-mnist``: which classifier to use.
        reference: Images the Fréchet distance is measured against; ``None`` = the dataset's test split.
    """
    model = load_classifier(dataset)
    feats, probs = classify(model, images)
    score, covered, class_kl, confidence, hist = class_statistics(probs)
    ref = reference_stats(dataset) if reference is None else GaussianStats.of(classify(model, reference)[0])
    return DomainMetrics(
        domain_fd=frechet_distance(GaussianStats.of(feats), ref),
        classifier_score=score,
        classes_covered=covered,
        class_kl=class_kl,
        mean_confidence=confidence,
        class_histogram=tuple(int(h) for h in hist),
    )
