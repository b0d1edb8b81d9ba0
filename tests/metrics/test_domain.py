"""The shipped domain classifiers and the metrics built on them, on real MNIST / Fashion-MNIST."""

import numpy as np
import pytest
import torch

from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics import domain
from ganforge.metrics.domain import class_statistics, classifier_metadata, classify, domain_metrics, load_classifier


@pytest.mark.parametrize(("dataset", "required"), [("mnist", 0.993), ("fashion-mnist", 0.92)])
def test_shipped_classifier_meets_its_accuracy_on_the_test_split(dataset: str, required: float) -> None:
    test = load_dataset(dataset, "test")
    _, probs = classify(load_classifier(dataset), test.images)
    accuracy = float((probs.argmax(1) == test.labels).mean())
    assert accuracy >= required
    assert accuracy == pytest.approx(classifier_metadata(dataset)["test_accuracy"], abs=1e-4)


def test_loading_a_classifier_leaves_the_global_rng_alone() -> None:
    """Training restores the global RNG from checkpoints; an evaluation loading a classifier must not move it."""
    before = torch.get_rng_state()
    model = load_classifier("mnist")
    assert torch.equal(torch.get_rng_state(), before)
    assert all(p.device.type == "cpu" for p in model.parameters())  # loaded, not left on the meta device


def test_real_data_scores_as_real_data() -> None:
    train = load_dataset("mnist", "train")
    m = domain_metrics(train.images[:5000], "mnist")
    assert m.domain_fd < 2.0  # same distribution as the test split
    assert m.classes_covered == 10 and m.class_kl < 0.01
    assert m.classifier_score > 7.5 and m.mean_confidence > 0.95  # trained with label smoothing 0.05: max ~0.96
    fashion = domain_metrics(load_dataset("fashion-mnist", "test").images[:5000], "mnist")
    assert fashion.domain_fd > 50 * m.domain_fd  # another dataset is far away


def test_mode_collapse_is_visible() -> None:
    test = load_dataset("mnist", "test")
    assert test.labels is not None
    ones = test.images[test.labels == 1][:1000]
    m = domain_metrics(ones, "mnist")
    assert m.classes_covered == 1
    assert m.class_kl == pytest.approx(np.log(10), abs=0.02)
    assert m.classifier_score < 1.1
    assert m.class_histogram[1] >= 990


def test_class_statistics_by_hand() -> None:
    # Two images, two classes: confident and correct on different classes -> score 2, balanced, KL 0.
    probs = np.array([[1.0, 0.0], [0.0, 1.0]])
    score, covered, kl, conf, hist = class_statistics(probs)
    assert score == pytest.approx(2.0, rel=1e-6) and covered == 2 and kl == pytest.approx(0.0)
    assert conf == 1.0 and hist.tolist() == [1, 1]
    # Uniform predictions: score 1 (no information), mean confidence 1/K.
    score, _, _, conf, _ = class_statistics(np.full((4, 4), 0.25))
    assert score == pytest.approx(1.0) and conf == pytest.approx(0.25)


def test_bad_inputs_are_clear_errors(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(GanforgeError, match="28x28"):
        domain_metrics(np.zeros((4, 32, 32, 3), np.uint8), "mnist")
    with pytest.raises(GanforgeError, match="no domain classifier for 'cifar10'"):
        load_classifier("cifar10")
    # A tampered weights file is refused by its checksum.
    name, _ = domain.CLASSIFIERS["mnist"]
    bad = tmp_path / name
    data = bytearray((domain.ASSETS / name).read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    monkeypatch.setattr(domain, "ASSETS", tmp_path)
    load_classifier.cache_clear()
    try:
        with pytest.raises(GanforgeError, match="SHA-256"):
            load_classifier("mnist")
    finally:
        load_classifier.cache_clear()


def test_features_do_not_depend_on_batching() -> None:
    images = load_dataset("mnist", "test").images[:300]
    model = load_classifier("mnist")
    f1, p1 = classify(model, images, batch_size=300)
    f2, p2 = classify(model, images, batch_size=7)
    np.testing.assert_allclose(f1, f2, rtol=1e-4, atol=1e-4)
    assert torch.equal(torch.from_numpy(p1.argmax(1)), torch.from_numpy(p2.argmax(1)))
