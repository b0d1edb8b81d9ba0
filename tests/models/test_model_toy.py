"""The toy family for 2D points: shapes, conditioning, spectral norm, save/load round trip, wrong shapes."""

from pathlib import Path

import pytest
import torch

from ganforge.errors import ConfigError
from ganforge.models import MODELS, load_pretrained, save_pretrained
from ganforge.models.toy import PointDiscriminator, PointGenerator


def test_shapes_and_round_trip(tmp_path: Path) -> None:
    fam = MODELS.get("toy")
    assert fam.data_kind == "points" and fam.supports(1) and not fam.supports(28)
    torch.manual_seed(0)
    G = fam.generator(z_dim=8, channels=2, resolution=1, width=32, num_classes=3).eval()
    D = fam.discriminator(channels=2, resolution=1, width=32, num_classes=3, spectral_norm=True)
    z, y = torch.randn(5, 8), torch.tensor([0, 1, 2, 0, 1])
    x = G(z, y)
    assert x.shape == (5, 2)  # raw coordinates, no tanh
    D.train()
    D(x, y)  # one power iteration moves the spectral-norm vectors away from their init
    D.eval()
    scores = D(x, y)
    assert scores.shape == (5,)
    for module, role in ((G, "generator"), (D, "discriminator")):
        save_pretrained(module, tmp_path / role, family="toy", role=role)
    G2, D2 = load_pretrained(tmp_path / "generator"), load_pretrained(tmp_path / "discriminator")
    assert torch.equal(G2(z, y), x) and torch.equal(D2(x, y), scores)


def test_wrong_inputs() -> None:
    fam = MODELS.get("toy")
    with pytest.raises(ConfigError, match="resolution must be 1"):
        fam.generator(z_dim=8, channels=2, resolution=28, width=32)
    D = fam.discriminator(channels=2, resolution=1, width=16)
    with pytest.raises(ValueError, match=r"expected points \[B, 2\]"):
        D(torch.zeros(4, 1, 28, 28))


def test_scale_makes_the_networks_work_in_standardised_units() -> None:
    nets = {}
    for scale in (1.0, 2.5):
        torch.manual_seed(0)
        nets[scale] = (
            PointGenerator(z_dim=4, channels=2, resolution=1, width=8, scale=scale),
            PointDiscriminator(channels=2, resolution=1, width=8, scale=scale),
        )
    z, x = torch.randn(5, 4), torch.randn(5, 2)
    assert torch.allclose(nets[2.5][0](z), 2.5 * nets[1.0][0](z))  # same weights: outputs scaled
    assert torch.allclose(nets[2.5][1](2.5 * x), nets[1.0][1](x))  # inputs divided
    assert nets[2.5][0].config["scale"] == 2.5 and nets[2.5][1].config["scale"] == 2.5
    with pytest.raises(ConfigError, match="scale must be > 0"):
        PointGenerator(z_dim=4, channels=2, resolution=1, width=8, scale=0.0)
