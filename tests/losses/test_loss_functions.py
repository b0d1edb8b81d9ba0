"""Adversarial losses against hand-computed values, extreme logits, dtypes and the registry."""

from __future__ import annotations

import math

import pytest
import torch

from ganforge.losses import LOSSES, LossSpec
from ganforge.registry import UnknownNameError

REAL = [2.0, -1.0]
FAKE = [0.5, -3.0]


def t(values: list[float], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_registry_names_are_exactly_the_six() -> None:
    assert LOSSES.names() == ["hinge", "lsgan", "minimax", "nonsaturating", "wgan", "wgan-gp"]
    for name in LOSSES.names():
        spec = LOSSES.get(name)
        assert isinstance(spec, LossSpec)
        assert spec.name == name
        assert spec.description


def test_unknown_name_suggests_close_match() -> None:
    with pytest.raises(UnknownNameError, match=r"Did you mean 'hinge'"):
        LOSSES.get("hinje")
    with pytest.raises(ValueError, match=r"Did you mean 'wgan-gp'"):  # UnknownNameError is a ValueError too
        LOSSES.get("wgan_gp")


def test_defaults_per_loss() -> None:
    assert {n: LOSSES.get(n).gradient_penalty for n in LOSSES} == {
        "hinge": 0.0,
        "lsgan": 0.0,
        "minimax": 0.0,
        "nonsaturating": 0.0,
        "wgan": 0.0,
        "wgan-gp": 10.0,
    }
    assert {n: LOSSES.get(n).weight_clip for n in LOSSES} == {
        "hinge": None,
        "lsgan": None,
        "minimax": None,
        "nonsaturating": None,
        "wgan": 0.01,
        "wgan-gp": None,
    }
    assert {n: LOSSES.get(n).threshold for n in LOSSES} == {
        "hinge": 0.0,
        "lsgan": 0.5,
        "minimax": 0.0,
        "nonsaturating": 0.0,
        "wgan": 0.0,
        "wgan-gp": 0.0,
    }


def test_minimax_d_loss_hand_computed() -> None:
    # -E[log D(x)] - E[log(1 - D(G(z)))] with D = sigmoid(logit), from probabilities.
    expected = -mean([math.log(sigmoid(2.0)), math.log(sigmoid(-1.0))]) - mean(
        [math.log(1 - sigmoid(0.5)), math.log(1 - sigmoid(-3.0))]
    )
    # softplus(-2) = 0.126928, softplus(1) = 1.313262, softplus(0.5) = 0.974077, softplus(-3) = 0.048587
    assert expected == pytest.approx((0.126928 + 1.313262) / 2 + (0.974077 + 0.048587) / 2, abs=1e-6)
    for name in ("minimax", "nonsaturating"):
        got = LOSSES.get(name).d_loss(t(REAL), t(FAKE))
        assert got.shape == ()
        assert got.item() == pytest.approx(expected, rel=1e-12)


def test_minimax_g_loss_is_saturating_log_one_minus_d() -> None:
    expected = mean([math.log(1 - sigmoid(0.5)), math.log(1 - sigmoid(-3.0))])  # E[log(1 - D(G(z)))]
    assert LOSSES.get("minimax").g_loss(t(FAKE)).item() == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(-(0.974077 + 0.048587) / 2, abs=1e-6)


def test_nonsaturating_g_loss_is_minus_log_d() -> None:
    expected = -mean([math.log(sigmoid(0.5)), math.log(sigmoid(-3.0))])  # -E[log D(G(z))]
    assert LOSSES.get("nonsaturating").g_loss(t(FAKE)).item() == pytest.approx(expected, rel=1e-12)


def test_lsgan_hand_computed() -> None:
    # D: ½·mean((2-1)², (-1-1)²) + ½·mean(0.5², (-3)²) = ½·2.5 + ½·4.625
    assert LOSSES.get("lsgan").d_loss(t(REAL), t(FAKE)).item() == pytest.approx(0.5 * 2.5 + 0.5 * 4.625)
    # G: ½·mean((0.5-1)², (-3-1)²) = ½·(0.25 + 16)/2
    assert LOSSES.get("lsgan").g_loss(t(FAKE)).item() == pytest.approx(0.5 * (0.25 + 16.0) / 2)


@pytest.mark.parametrize("name", ["wgan", "wgan-gp"])
def test_wasserstein_hand_computed(name: str) -> None:
    spec = LOSSES.get(name)
    # critic: E[D(fake)] - E[D(real)] = (0.5 - 3)/2 - (2 - 1)/2
    assert spec.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(-1.25 - 0.5)
    assert spec.g_loss(t(FAKE)).item() == pytest.approx(1.25)  # -E[D(fake)]


def test_hinge_hand_computed() -> None:
    spec = LOSSES.get("hinge")
    # mean(relu(1-2), relu(1+1)) + mean(relu(1+0.5), relu(1-3)) = mean(0, 2) + mean(1.5, 0)
    assert spec.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(1.0 + 0.75)
    assert spec.g_loss(t(FAKE)).item() == pytest.approx(1.25)


def test_logit_losses_stay_finite_with_correct_limits_at_extremes() -> None:
    big, small = t([100.0], torch.float32), t([-100.0], torch.float32)
    d = LOSSES.get("minimax").d_loss
    assert d(big, small).item() == pytest.approx(0.0, abs=1e-30)  # D perfectly right: -log 1 - log 1
    assert d(small, big).item() == pytest.approx(200.0)  # D perfectly wrong: softplus(100) twice
    assert LOSSES.get("minimax").g_loss(big).item() == pytest.approx(-100.0)  # log(1 - D) -> -100
    assert LOSSES.get("minimax").g_loss(small).item() == pytest.approx(0.0, abs=1e-30)  # log(1 - 0) = 0
    assert LOSSES.get("nonsaturating").g_loss(small).item() == pytest.approx(100.0)  # -log D -> 100
    assert LOSSES.get("nonsaturating").g_loss(big).item() == pytest.approx(0.0, abs=1e-30)
    for name in LOSSES:
        spec = LOSSES.get(name)
        for real, fake in ((big, small), (small, big)):
            assert torch.isfinite(spec.d_loss(real, fake))
            assert torch.isfinite(spec.g_loss(fake))
            assert torch.isfinite(spec.to_prob(fake)).all()


def test_saturating_g_gradient_vanishes_where_nonsaturating_does_not() -> None:
    # Goodfellow et al. 2014 §3: when D confidently rejects fakes (logit -100), log(1 - D) saturates.
    fake = t([-100.0]).requires_grad_(True)
    (g_sat,) = torch.autograd.grad(LOSSES.get("minimax").g_loss(fake), fake)
    (g_ns,) = torch.autograd.grad(LOSSES.get("nonsaturating").g_loss(fake), fake)
    assert abs(g_sat.item()) < 1e-40  # -sigmoid(-100)
    assert g_ns.item() == pytest.approx(-1.0)  # -sigmoid(100)


@pytest.mark.parametrize("name", ["minimax", "nonsaturating", "lsgan", "wgan", "wgan-gp", "hinge"])
def test_half_precision_scores_are_computed_in_float32(name: str) -> None:
    spec = LOSSES.get(name)
    real, fake = t(REAL, torch.bfloat16), t(FAKE, torch.bfloat16)  # these values are exact in bf16
    d, g = spec.d_loss(real, fake), spec.g_loss(fake)
    assert d.dtype == torch.float32 and g.dtype == torch.float32
    assert d.item() == pytest.approx(spec.d_loss(t(REAL), t(FAKE)).item(), rel=1e-6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert spec.d_loss(real, fake).dtype == torch.float32
    assert spec.d_loss(t(REAL), t(FAKE)).dtype == torch.float64  # float64 is not downcast


def test_losses_accept_patch_scores_and_reject_bad_input() -> None:
    spec = LOSSES.get("hinge")
    patches = torch.zeros(2, 1, 3, 3)  # PatchGAN-style scores: mean over all elements
    assert spec.d_loss(patches, patches).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="floating-point"):
        spec.g_loss(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        spec.d_loss(torch.zeros(0), torch.zeros(0))


def test_to_prob_maps() -> None:
    scores = t([-0.5, 0.0, 0.3, 2.0])
    expected_sigmoid = [sigmoid(-0.5), 0.5, sigmoid(0.3), sigmoid(2.0)]
    for name in ("minimax", "nonsaturating", "wgan", "wgan-gp", "hinge"):
        assert LOSSES.get(name).to_prob(scores).tolist() == pytest.approx(expected_sigmoid)
    assert LOSSES.get("lsgan").to_prob(scores).tolist() == pytest.approx([0.0, 0.0, 0.3, 1.0])


def test_losses_do_not_call_backward() -> None:
    real = t(REAL).requires_grad_(True)
    fake = t(FAKE).requires_grad_(True)
    for name in LOSSES:
        spec = LOSSES.get(name)
        spec.d_loss(real, fake)
        spec.g_loss(fake)
    assert real.grad is None and fake.grad is None
