"""Gradient penalty, R1 and weight clipping against closed forms for a linear discriminator."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganforge.losses import clip_weights_, gradient_penalty, r1_penalty

W = [0.6, 0.8, 1.2, 0.0]  # ‖w‖ = sqrt(0.36 + 0.64 + 1.44) = sqrt(2.44)


def linear_d() -> nn.Module:
    """D(x) = w·flatten(x) + 0.3 over [B, 1, 2, 2] images, in float64."""
    lin = nn.Linear(4, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([W], dtype=torch.float64))
        lin.bias.fill_(0.3)
    return nn.Sequential(nn.Flatten(), lin)


def batch(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(5, 1, 2, 2, generator=g, dtype=torch.float64)


def test_gradient_penalty_of_linear_d_is_norm_minus_one_squared() -> None:
    D = linear_d()
    gp = gradient_penalty(lambda x: D(x).squeeze(1), batch(0), batch(1))
    assert gp.shape == ()
    assert gp.item() == pytest.approx((math.sqrt(2.44) - 1.0) ** 2, rel=1e-12)  # = 0.315900...
    assert gp.item() == pytest.approx(0.3159, abs=1e-4)


def test_gradient_penalty_gradient_reaches_d_parameters_not_inputs() -> None:
    D = linear_d()
    real, fake = batch(0).requires_grad_(True), batch(1).requires_grad_(True)
    gp = gradient_penalty(lambda x: D(x).squeeze(1), real, fake)
    gp.backward()
    # d/dw (‖w‖ - 1)² = 2 (‖w‖ - 1) w / ‖w‖
    norm = math.sqrt(2.44)
    expected = [2 * (norm - 1) * w / norm for w in W]
    assert D[1].weight.grad is not None
    assert D[1].weight.grad[0].tolist() == pytest.approx(expected, rel=1e-10)
    assert D[1].bias.grad is None  # the penalty does not depend on the bias
    assert real.grad is None and fake.grad is None  # interpolates are built from detached inputs


def cubic_d(x: torch.Tensor) -> torch.Tensor:
    """A nonlinear D whose gradient depends on where x̂ lies, so ε matters."""
    return x.pow(3).flatten(1).sum(1)


def test_gradient_penalty_is_reproducible_with_a_seeded_generator() -> None:
    real, fake = batch(0), batch(1)
    a = gradient_penalty(cubic_d, real, fake, generator=torch.Generator().manual_seed(7))
    b = gradient_penalty(cubic_d, real, fake, generator=torch.Generator().manual_seed(7))
    c = gradient_penalty(cubic_d, real, fake, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_gradient_penalty_uses_one_epsilon_per_sample() -> None:
    real, fake = torch.ones(3, 1, 2, 2), torch.zeros(3, 1, 2, 2)
    seen: list[torch.Tensor] = []

    def spy(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.detach().clone())
        return x.flatten(1).sum(1)

    gradient_penalty(spy, real, fake, generator=torch.Generator().manual_seed(0))
    x_hat = seen[0]  # ε·1 + (1-ε)·0 = ε, constant within each sample
    expected_eps = torch.rand(3, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(x_hat.flatten(1), expected_eps[:, None].expand(3, 4))


def test_gradient_penalty_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(cubic_d, torch.zeros(2, 1, 2, 2), torch.zeros(3, 1, 2, 2))


def test_r1_of_linear_d_is_squared_norm() -> None:
    D = linear_d()
    real = batch(0).requires_grad_(True)
    r1 = r1_penalty(D(real).squeeze(1), real)
    assert r1.item() == pytest.approx(2.44, rel=1e-12)  # ‖w‖² = 0.36 + 0.64 + 1.44
    r1.backward()  # differentiable: d‖w‖²/dw = 2w
    assert D[1].weight.grad is not None
    assert D[1].weight.grad[0].tolist() == pytest.approx([2 * w for w in W], rel=1e-12)


def test_r1_requires_grad_on_real() -> None:
    D = linear_d()
    real = batch(0)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(D(real).squeeze(1), real)


def test_clip_weights_clamps_every_parameter_in_place() -> None:
    D = linear_d()
    clip_weights_(D, 0.01)
    assert D[1].weight.tolist() == [[0.01, 0.01, 0.01, 0.0]]
    assert D[1].bias.item() == pytest.approx(0.01)
    with pytest.raises(ValueError, match="> 0"):
        clip_weights_(D, 0.0)
