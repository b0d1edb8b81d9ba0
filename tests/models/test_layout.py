"""Layout helpers: the same numbers as plain PyTorch, with gradients kept in the network's layout."""

from __future__ import annotations

import torch

from ganforge.models import MODELS
from ganforge.nn.layout import flatten_features, is_channels_last, like


def test_flatten_features_matches_flatten_and_keeps_gradient_layout() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 8, 5, 5).contiguous(memory_format=torch.channels_last).requires_grad_(True)
    w = torch.randn(8 * 25)
    out = flatten_features(x)
    assert torch.equal(out, x.detach().flatten(1))  # NCHW feature order, whatever the storage
    grads: list[torch.Tensor] = []
    x.register_hook(grads.append)
    (out * w).sum().backward()
    assert is_channels_last(grads[0])  # plain flatten(1) would hand back an NCHW gradient
    assert torch.equal(grads[0], w.view(1, 8, 5, 5).expand(4, -1, -1, -1))


def test_like_follows_the_weight_layout() -> None:
    x = torch.randn(2, 8, 3, 3)
    conv_cl = torch.nn.Conv2d(8, 4, 3).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    assert is_channels_last(like(x, conv_cl.weight))
    assert like(x, torch.nn.Conv2d(8, 4, 3).weight) is x


def test_dcgan_gradients_stay_channels_last_and_match_nchw() -> None:
    """The layout fixes change no number: a channels-last DCGAN equals its NCHW twin, forward and backward."""
    family = MODELS.get("dcgan")
    torch.manual_seed(0)
    G = family.generator(z_dim=16, channels=1, resolution=28, width=8)
    D = family.discriminator(channels=1, resolution=28, width=8, norm="none")
    G_cl = family.generator(z_dim=16, channels=1, resolution=28, width=8)
    D_cl = family.discriminator(channels=1, resolution=28, width=8, norm="none")
    G_cl.load_state_dict(G.state_dict())
    D_cl.load_state_dict(D.state_dict())
    G_cl.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    D_cl.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    z = torch.randn(6, 16)
    seen: list[torch.Tensor] = []

    def keep_grad(module: torch.nn.Module, inputs: object, out: torch.Tensor) -> None:
        out.register_hook(seen.append)

    D_cl.net[-1].register_forward_hook(keep_grad)
    D(G(z)).sum().backward()
    D_cl(G_cl(z)).sum().backward()
    assert is_channels_last(seen[0])  # the gradient reaching the last activation kept the conv layout
    for (name, p), p_cl in zip(G.named_parameters(), G_cl.parameters(), strict=True):
        assert p.grad is not None and p_cl.grad is not None
        torch.testing.assert_close(p_cl.grad, p.grad, rtol=1e-4, atol=1e-6, msg=name)
    for p, p_cl in zip(D.parameters(), D_cl.parameters(), strict=True):
        assert p.grad is not None and p_cl.grad is not None
        torch.testing.assert_close(p_cl.grad, p.grad, rtol=1e-4, atol=1e-6)


def test_flatten_features_supports_double_backward() -> None:
    """R1 and WGAN-GP differentiate D's input gradient again: the custom backward must be differentiable."""
    x = torch.randn(2, 3, 2, 2, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    x.requires_grad_(True)
    w = torch.randn(12, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda t: flatten_features(t) * w, (x,))
    assert torch.autograd.gradgradcheck(lambda t: (flatten_features(t) ** 2) * w, (x,))
