"""Judges of class-conditional generators, on the shipped domain classifiers (protocol ``conditional-v1``).

- **Conditioning accuracy**: the share of images ``G(z, y)`` that the domain classifier labels ``y``
  (1,000 per class by default). For real data: the classifier's accuracy on labelled real images.
- **Per-class Fréchet distance**: for each class ``k``, the Fréchet distance between the domain-classifier
  features of the images labelled ``k`` and those of the reference's images of class ``k``; and their mean.
  For real data: the other split of the dataset (train against test) with the same count per class.
- **Classification accuracy score** (CAS, Ravuri & Vinyals 2019): a small classifier (:func:`cas_classifier`)
  trained only on the labelled images, tested on the real test split. For real data: the same classifier
  trained on as many real training images with the same count per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.errors import GanforgeError
from ganforge.metrics.domain import DomainClassifier, classify, load_classifier, to_input
from ganforge.metrics.frechet import GaussianStats, frechet_distance

PROTOCOL = "conditional-v1"
#: Generated images per class for the conditional metrics (``ganforge eval`` of a conditional generator).
PER_CLASS = 1_000
#: The CAS classifier and its training: a DomainClassifier of this size, AdamW with a one-cycle rate, a fixed
#: number of steps whatever the number of images (400 x 128 = 5 passes over 10,000).
CAS_WIDTH, CAS_FEATURES, CAS_STEPS, CAS_BATCH, CAS_LR = 16, 64, 400, 128, 3e-3


def _check(images: np.ndarray, labels: np.ndarray, num_classes: int) -> None:
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise GanforgeError(f"need one integer label per image, got {labels.dtype} {list(labels.shape)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise GanforgeError(f"labels must lie in 0..{num_classes - 1}, got {labels.min()}..{labels.max()}")


def conditioning_accuracy(images: np.ndarray, labels: np.ndarray, dataset: str) -> float:
    """Share of ``images`` (uint8 ``[N, 28, 28, 1]``) the ``dataset`` classifier labels as ``labels`` ``[N]``."""
    model = load_classifier(dataset)
    _check(images, labels, model.head.out_features)
    _, probs = classify(model, images)
    return float((probs.argmax(1) == labels).mean())


@dataclass(frozen=True)
class ClassFD:
    """Per-class Fréchet distances (``per_class[k]``, ``nan`` for a class absent on either side) and their mean."""

    per_class: list[float]
    mean: float


def class_fd(
    images: np.ndarray, labels: np.ndarray, reference: np.ndarray, reference_labels: np.ndarray, dataset: str
) -> ClassFD:
    """Fréchet distance of each class's domain-classifier features to the reference's images of that class.

    Raises:
        GanforgeError: A class has fewer than 2 images on either side (no covariance).
    """
    model = load_classifier(dataset)
    k = model.head.out_features
    _check(images, labels, k)
    _check(reference, reference_labels, k)
    fs, _ = classify(model, images)
    fr, _ = classify(model, reference)
    return class_fd_of_features(fs, labels, fr, reference_labels, k)


def class_fd_of_features(
    fs: np.ndarray, labels: np.ndarray, fr: np.ndarray, reference_labels: np.ndarray, k: int
) -> ClassFD:
    """:func:`class_fd` from domain-classifier features already computed (``[N, F]`` each side)."""
    per_class = []
    for c in range(k):
        a, b = fs[labels == c], fr[reference_labels == c]
        if len(a) < 2 or len(b) < 2:
            raise GanforgeError(
                f"class {c} has {len(a)} labelled image(s) to judge and {len(b)} in the reference; the per-class "
                "Fréchet distance needs at least 2 on each side (draw more images, e.g. --n)"
            )
        per_class.append(frechet_distance(GaussianStats.of(a), GaussianStats.of(b)))
    return ClassFD(per_class, float(np.mean(per_class)))


def cas_classifier(num_classes: int) -> DomainClassifier:
    """The classifier CAS trains: the domain classifier's layout, narrower."""
    return DomainClassifier(num_classes=num_classes, width=CAS_WIDTH, features=CAS_FEATURES)


def classification_accuracy_score(
    images: np.ndarray,
    labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    seed: int = 0,
    steps: int = CAS_STEPS,
) -> float:
    """Accuracy on (``test_images``, ``test_labels``) of a :func:`cas_classifier` trained on (``images``, ``labels``)
    for ``steps`` batches of :data:`CAS_BATCH` (reshuffled each pass).

    Training is seeded (``seed``) and runs on the CPU: the same inputs give the same number.
    """
    if len(images) < 2 or steps < 1:
        raise GanforgeError(f"CAS trains on at least 2 labelled images for >= 1 step, got {len(images)}, {steps}")
    num_classes = int(max(labels.max(), test_labels.max())) + 1
    _check(images, labels, num_classes)
    _check(test_images, test_labels, num_classes)
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # the model's initialisation must not move the caller's RNG
        torch.manual_seed(seed)
        model = cas_classifier(num_classes)
        x, y = to_input(images), torch.from_numpy(labels.astype(np.int64))
        batch = min(CAS_BATCH, len(x))
        per_pass = len(x) // batch  # full batches only: batch norm sees the same batch size throughout
        opt = torch.optim.AdamW(model.parameters(), lr=CAS_LR, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=CAS_LR, total_steps=steps)
        model.train()
        order = torch.randperm(len(x), generator=generator)
        for step in range(steps):
            if step and step % per_pass == 0:
                order = torch.randperm(len(x), generator=generator)
            i = step % per_pass
            idx = order[i * batch : (i + 1) * batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        with torch.no_grad():
            correct = 0
            for start in range(0, len(test_images), 2000):
                logits = model(to_input(test_images[start : start + 2000]))
                correct += int((logits.argmax(1).numpy() == test_labels[start : start + 2000]).sum())
    return correct / len(test_images)


def matched_subset(
    images: np.ndarray, labels: np.ndarray, counts: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[k]`` images of each class ``k`` drawn from (``images``, ``labels``) without replacement by ``seed``.

    Raises:
        GanforgeError: A class has fewer images than asked for.
    """
    rng = np.random.default_rng(seed)
    chosen = []
    for c, n in enumerate(counts):
        pool = np.flatnonzero(labels == c)
        if len(pool) < n:
            raise GanforgeError(f"class {c} has {len(pool)} real images, fewer than the {n} to compare with")
        chosen.append(np.sort(rng.choice(pool, int(n), replace=False)))
    idx = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return images[idx], labels[idx]


def protocol(dataset: str) -> dict[str, object]:
    """What the conditional metrics were computed with (for reports)."""
    return {
        "version": PROTOCOL,
        "classifier": dataset,
        "cas": {"width": CAS_WIDTH, "features": CAS_FEATURES, "steps": CAS_STEPS, "batch": CAS_BATCH, "lr": CAS_LR},
    }
