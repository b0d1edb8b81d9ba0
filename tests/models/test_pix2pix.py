"""The pix2pix networks: U-Net depth, skips and dropout; PatchGAN receptive fields; save / load."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.models import MODELS, PatchGANDiscriminator, UNetGenerator
from ganforge.models.io import load_pretrained, save_pretrained
from ganforge.models.pix2pix import default_patch_layers, receptive_field, unet_depth


def test_unet_depth_takes_the_image_down_to_one_pixel() -> None:
    assert [unet_depth(r) for r in (4, 32, 64, 256)] == [2, 5, 6, 8]
    with pytest.raises(ConfigError, match=r"28 px is not: set data.resolution=32"):
        unet_depth(28)
    G = UNetGenerator(in_channels=1, out_channels=3, resolution=32, width=8)
    sizes: list[tuple[int, ...]] = []
    for layer in G.down:
        layer.register_forward_hook(lambda m, i, o: sizes.append(tuple(o.shape[1:])))
    out = G(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 3, 32, 32) and out.abs().max() <= 1
    # C8-C16-C32-C64-C64: width * min(2^i, 8), halving down to 1x1.
    assert sizes == [(8, 16, 16), (16, 8, 8), (32, 4, 4), (64, 2, 2), (64, 1, 1)]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in (*G.down[0], *G.down[-1]))  # first and innermost


def test_unet_skips_carry_the_input_through() -> None:
    """With the innermost layer cut off (its output zeroed), the output still depends on the input: the skip
    connections carry it; and every encoder level reaches the output."""
    torch.manual_seed(0)
    G = UNetGenerator(in_channels=1, out_channels=1, resolution=16, width=8, dropout=0.0).eval()
    G.down[-1].register_forward_hook(lambda m, i, o: torch.zeros_like(o))
    a, b = torch.randn(1, 1, 16, 16), torch.randn(1, 1, 16, 16)
    assert not torch.allclose(G(a), G(b))
    x = torch.randn(1, 1, 16, 16, requires_grad=True)
    G(x)[0, 0, 0, 0].backward()
    assert x.grad is not None and x.grad[0, 0, :4, :4].abs().sum() > 0


def test_dropout_is_in_the_three_innermost_decoder_layers_and_stays_on_in_eval_if_asked() -> None:
    G = UNetGenerator(in_channels=1, out_channels=1, resolution=32, width=8)
    with_dropout = [i for i, layer in enumerate(G.up) if any(isinstance(m, nn.Dropout) for m in layer)]
    assert with_dropout == [2, 3, 4]  # up[4] is the innermost
    assert all(m.p == 0.5 for m in G.modules() if isinstance(m, nn.Dropout))
    G.train()
    a = torch.randn(2, 1, 32, 32)
    assert not torch.equal(G(a), G(a))  # the paper's noise
    G.eval()
    assert torch.equal(G(a), G(a))
    assert not any(isinstance(m, nn.Dropout) for m in UNetGenerator(in_channels=1, out_channels=1, resolution=32,
                                                                    width=8, dropout=0).modules())  # fmt: skip


def test_patchgan_receptive_fields_and_defaults() -> None:
    assert [receptive_field(n) for n in (1, 2, 3, 4)] == [16, 34, 70, 142]  # 70x70 is the paper's
    assert [default_patch_layers(r) for r in (28, 32, 64, 128, 256)] == [1, 1, 1, 2, 3]
    D = PatchGANDiscriminator(channels=2, resolution=256, width=8)
    assert D.n_layers == 3 and D.receptive_field == 70
    out = D(torch.randn(1, 1, 256, 256), torch.randn(1, 1, 256, 256))
    assert out.shape == (1, 1, 30, 30)  # the paper's 30x30 map of 70x70 patches
    # A score sees only its patch: changing a pixel outside the field leaves it unchanged.
    D = PatchGANDiscriminator(channels=2, resolution=64, width=8, n_layers=1).eval()
    a, b = torch.randn(1, 1, 64, 64), torch.randn(1, 1, 64, 64)
    before = D(a, b)
    b2 = b.clone()
    b2[0, 0, 40:, 40:] += 5  # far from the top-left patch
    after = D(a, b2)
    assert torch.equal(before[0, 0, 0, 0], after[0, 0, 0, 0]) and not torch.equal(before, after)


def test_pix2pix_networks_save_and_load(tmp_path: Path) -> None:
    torch.manual_seed(0)
    G = UNetGenerator(in_channels=1, out_channels=1, resolution=32, width=8).eval()
    save_pretrained(G, tmp_path / "g", family="pix2pix", role="generator")
    loaded = load_pretrained(tmp_path / "g").eval()
    a = torch.randn(2, 1, 32, 32)
    torch.testing.assert_close(loaded(a), G(a))
    D = PatchGANDiscriminator(channels=2, resolution=32, width=8)
    save_pretrained(D, tmp_path / "d", family="pix2pix", role="discriminator")
    assert load_pretrained(tmp_path / "d").config == {"channels": 2, "resolution": 32, "width": 8, "n_layers": 1}
    assert MODELS.get("pix2pix").data_kind == "image pairs"


def test_wrong_inputs_are_clear_errors() -> None:
    G = UNetGenerator(in_channels=1, out_channels=1, resolution=32, width=8)
    with pytest.raises(ValueError, match=r"expected input images \[B, 1, 32, 32\]"):
        G(torch.randn(2, 3, 32, 32))
    with pytest.raises(ConfigError, match=r"dropout must be in \[0, 1\)"):
        UNetGenerator(in_channels=1, out_channels=1, resolution=32, dropout=1.0)
    D = PatchGANDiscriminator(channels=2, resolution=32, width=8)
    with pytest.raises(ValueError, match=r"with 2 channels together"):
        D(torch.randn(1, 3, 32, 32), torch.randn(1, 1, 32, 32))
