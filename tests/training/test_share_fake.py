"""The G phase reuses the D phase's fake: one generator forward per step (``recipe.share_fake``)."""

import copy

import pytest
import torch

from .conftest import tiny_dcgan


@pytest.mark.parametrize(("conditional", "n_critic"), [(False, 1), (True, 1), (False, 2)])
def test_g_phase_trains_on_the_d_phase_fake_through_the_updated_d(conditional: bool, n_critic: int) -> None:
    """Real MNIST digits: G's gradient = that of ``g_loss(D'(G(z)))`` for the last D phase's ``z`` and labels,
    with ``D'`` the discriminator after its update, from a single generator forward per D repeat."""
    trainer, recipe = tiny_dcgan({"model.conditional": conditional, "recipe.n_critic": n_critic})
    assert recipe._share_fake
    step = 1  # no R1 phase on this step (interval 16)
    g_before = copy.deepcopy(recipe.G)
    noise = torch.Generator().set_state(recipe.noise.get_state())
    calls: list[int] = []
    recipe.G.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    d_before = [p.detach().clone() for p in recipe.D.parameters()]

    trainer.step(step)

    assert calls == [16] * n_critic  # fresh draws used to take n_critic + 1 forwards
    assert any(not torch.equal(a, b) for a, b in zip(d_before, recipe.D.parameters(), strict=True))
    # Redo the last D repeat's draw: the D phase draws one latent batch per repeat and nothing else.
    for _ in range(n_critic):
        z = torch.randn(16, recipe.hyper.z_dim, generator=noise)
    _, labels = recipe.data.batch(step * n_critic + n_critic - 1, 16)
    labels = labels if conditional else None
    scores = recipe.D(recipe._pack(g_before(z, labels)), labels)  # the updated D
    expected = torch.autograd.grad(recipe.loss.g_loss(scores), list(g_before.parameters()))
    got = [p.grad for p in recipe.G.parameters()]
    assert len(got) == len(expected) > 0
    for g, e in zip(got, expected, strict=True):
        assert g is not None
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-6)
    assert recipe._kept is None  # the graph is not held past the step


def test_d_phase_does_not_train_the_generator() -> None:
    """The kept forward records G's graph, but the D loss sees the fake detached: no gradient reaches G."""
    trainer, recipe = tiny_dcgan({})
    trainer._train_only(trainer.phases[0])
    assert all(p.requires_grad for p in recipe.G.parameters())  # the graph is recorded ...
    loss, _ = recipe.d_loss(step=0, repeat=0)
    loss.backward()
    assert all(p.grad is None for p in recipe.G.parameters())  # ... but D's loss does not reach it
    assert recipe._kept is not None and recipe._kept[1].requires_grad


def test_share_fake_off_draws_a_new_batch_for_g() -> None:
    trainer, recipe = tiny_dcgan({"recipe.share_fake": False})
    assert trainer.phases[0].records is None
    calls: list[int] = []
    recipe.G.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
    trainer.step(1)
    assert calls == [16, 16]
    assert recipe._kept is None
