"""Reusable layers in ganforge.nn: upsampling, conditional BN, projection head, spectral-norm helper."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.nn import (
    ConditionalBatchNorm2d,
    ProjectionHead,
    UpResBlock,
    apply_spectral_norm_,
    has_spectral_norm,
    upsample_nearest2x,
)


@pytest.mark.parametrize("channels_last", [False, True])
def test_upsample_matches_interpolate_and_keeps_memory_format(channels_last: bool) -> None:
    x = torch.randn(2, 3, 5, 4)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = upsample_nearest2x(x)
    assert torch.equal(y, F.interpolate(x, scale_factor=2, mode="nearest"))
    assert y.is_contiguous(memory_format=torch.channels_last) == channels_last


def test_conditional_batchnorm_starts_as_batchnorm_and_then_depends_on_class() -> None:
    torch.manual_seed(0)
    cbn, bn = ConditionalBatchNorm2d(3, num_classes=4), nn.BatchNorm2d(3)
    x, labels = torch.randn(6, 3, 2, 2), torch.tensor([0, 1, 2, 3, 0, 1])
    assert torch.allclose(cbn(x, labels), bn(x), atol=1e-6)
    with torch.no_grad():
        cbn.gamma.weight[1].fill_(2.0)
        cbn.beta.weight[1].fill_(0.5)
    y, ref = cbn(x, labels), bn(x)
    assert torch.allclose(y[1], 2.0 * ref[1] + 0.5, atol=1e-6)  # class 1: scale 2, shift 0.5
    assert torch.allclose(y[0], ref[0], atol=1e-6)  # class 0 unchanged


def test_projection_head_is_linear_plus_inner_product() -> None:
    head = ProjectionHead(2, num_classes=3)
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor([[1.0, -2.0]]))
        head.linear.bias.fill_(0.5)
        assert head.embed is not None
        head.embed.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 1.0], [3.0, -1.0]]))
    h = torch.tensor([[2.0, 1.0], [2.0, 1.0], [2.0, 1.0]])
    out = head(h, torch.tensor([0, 1, 2]))
    # psi(h) = 2 - 2 + 0.5 = 0.5; <e_y, h> = 0, 3, 5
    assert out.tolist() == pytest.approx([0.5, 3.5, 5.5])
    assert ProjectionHead(2)(h).shape == (3,)


def test_apply_spectral_norm_is_idempotent_and_covers_embeddings() -> None:
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2, 2), nn.Embedding(3, 2), nn.BatchNorm2d(2))
    apply_spectral_norm_(m)
    apply_spectral_norm_(m)
    assert [has_spectral_norm(layer) for layer in m] == [True, True, True, False]
    assert len(m[0].parametrizations.weight) == 1


def test_up_res_block_doubles_resolution_and_needs_labels_when_conditional() -> None:
    block = UpResBlock(4, 2, num_classes=3)
    assert block(torch.randn(2, 4, 3, 3), torch.tensor([0, 2])).shape == (2, 2, 6, 6)
    with pytest.raises(ValueError, match="labels"):
        block(torch.randn(2, 4, 3, 3))
