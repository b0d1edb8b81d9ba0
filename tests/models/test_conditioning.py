"""The ways a generator and a discriminator take the class label: embed / cbn, projection / concat / auxiliary."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from ganforge.errors import ConfigError
from ganforge.models import MODELS
from ganforge.models.io import load_pretrained, save_pretrained
from ganforge.nn import ConditionalBatchNorm2d, ProjectionHead, append_label_maps

RES = {"mlp": 28, "dcgan": 28, "resnet": 28}


def _d(family: str, conditioning: str, k: int = 10):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return MODELS.get(family).discriminator(
        channels=1, resolution=RES[family], width=16, num_classes=k, conditioning=conditioning
    )


def test_label_maps_are_one_hot_planes() -> None:
    x = torch.randn(3, 2, 4, 5)
    out = append_label_maps(x, torch.tensor([0, 2, 1]), 3)
    assert out.shape == (3, 5, 4, 5)
    assert torch.equal(out[:, :2], x)
    assert torch.equal(out[:, 2:, 1, 3], torch.eye(3)[[0, 2, 1]])  # constant over space
    assert torch.equal(out[:, 2:].amax(dim=(2, 3)), out[:, 2:].amin(dim=(2, 3)))


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_label_input_changes_the_score(family: str, conditioning: str) -> None:
    D = _d(family, conditioning).eval()
    x = torch.randn(4, 1, RES[family], RES[family])
    a, b = D(x, torch.tensor([0, 1, 2, 3])), D(x, torch.tensor([5, 6, 7, 8]))
    assert a.shape == (4,) and not torch.allclose(a, b)
    assert D.config["conditioning"] == conditioning


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_auxiliary_head_scores_without_the_label_and_classifies(family: str) -> None:
    D = _d(family, "auxiliary").eval()
    x = torch.randn(4, 1, RES[family], RES[family])
    a, b = D(x, torch.tensor([0, 1, 2, 3])), D(x, torch.tensor([5, 6, 7, 8]))
    assert torch.equal(a, b)  # ACGAN: the real/fake score is unconditional
    scores, classes = D.scores_and_classes(x, torch.tensor([0, 1, 2, 3]))
    assert torch.equal(scores, a) and classes.shape == (4, 10)
    # The class logits are a linear map of the same features the score uses.
    h = D.features(x, torch.tensor([0, 1, 2, 3]))
    torch.testing.assert_close(classes, F.linear(h, D.head.classifier.weight, D.head.classifier.bias))


def test_only_an_auxiliary_head_has_class_logits() -> None:
    with pytest.raises(ValueError, match="conditioning='auxiliary'"):
        ProjectionHead(8, 10, "projection").classes(torch.randn(2, 8))
    with pytest.raises(ValueError, match="conditioning must be one of projection, concat, auxiliary"):
        ProjectionHead(8, 10, "bogus")


def test_unknown_conditioning_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="conditioning must be one of projection, concat, auxiliary"):
        _d("dcgan", "film")
    with pytest.raises(ConfigError, match="resnet generator: conditioning must be one of cbn"):
        MODELS.get("resnet").generator(
            z_dim=8, channels=1, resolution=28, width=8, num_classes=10, conditioning="embed"
        )
    with pytest.raises(ConfigError, match="mlp generator: conditioning must be one of embed"):
        MODELS.get("mlp").generator(z_dim=8, channels=1, resolution=28, width=8, num_classes=10, conditioning="cbn")


def test_dcgan_cbn_generator_takes_the_label_in_its_batch_norms(tmp_path: Path) -> None:
    torch.manual_seed(0)
    G = MODELS.get("dcgan").generator(z_dim=8, channels=1, resolution=28, width=8, num_classes=10, conditioning="cbn")
    norms = [m for m in G.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert len(norms) == 2 and G.embed is None and G.project.in_features == 8  # no embedding joins z
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in G.modules())
    with torch.no_grad():
        for m in norms:
            m.gamma.weight.normal_(1.0, 0.5)
            m.beta.weight.normal_(0.0, 0.5)
    G.eval()
    z = torch.randn(4, 8)
    a, b = G(z, torch.tensor([0, 1, 2, 3])), G(z, torch.tensor([4, 5, 6, 7]))
    assert a.shape == (4, 1, 28, 28) and not torch.allclose(a, b)
    assert G.config["conditioning"] == "cbn"
    save_pretrained(G, tmp_path / "g", family="dcgan", role="generator")
    loaded = load_pretrained(tmp_path / "g").eval()
    torch.testing.assert_close(loaded(z, torch.tensor([0, 1, 2, 3])), a, rtol=1e-5, atol=1e-6)


def test_unconditional_configs_carry_no_conditioning_and_old_configs_load_as_embed() -> None:
    G = MODELS.get("dcgan").generator(z_dim=8, channels=1, resolution=28, width=8)
    D = _d("dcgan", "projection", k=0)
    assert "conditioning" not in G.config and "conditioning" not in D.config
    old = {"z_dim": 8, "channels": 1, "resolution": 28, "width": 8, "num_classes": 10}  # saved before the choice
    G_old = MODELS.get("dcgan").generator(**old)
    assert G_old.embed is not None and G_old.config["conditioning"] == "embed"
