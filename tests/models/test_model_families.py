"""Every model family at every supported resolution: shapes, ranges, conditioning, spectral norm, gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganforge.errors import ConfigError
from ganforge.models import MODELS, ModelFamily, module_config
from ganforge.nn import has_spectral_norm

Z_DIM, WIDTH, CLASSES, B = 16, 8, 5, 4
TESTED_RESOLUTIONS = {"mlp": (28, 32, 64), "dcgan": (28, 32, 64), "resnet": (28, 32)}
CASES = [
    (family, res, num_classes, sn)
    for family, resolutions in TESTED_RESOLUTIONS.items()
    for res in resolutions
    for num_classes in (0, CLASSES)
    for sn in (False, True)
]


def build(
    family: str, res: int, num_classes: int = 0, sn: bool = False, channels: int = 1
) -> tuple[nn.Module, nn.Module]:
    fam = MODELS.get(family)
    G = fam.generator(z_dim=Z_DIM, channels=channels, resolution=res, width=WIDTH, num_classes=num_classes)
    D = fam.discriminator(channels=channels, resolution=res, width=WIDTH, num_classes=num_classes, spectral_norm=sn)
    return G, D


def inputs(num_classes: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(B, Z_DIM, generator=g)
    labels = torch.randint(0, num_classes, (B,), generator=g) if num_classes else None
    return z, labels


def test_registry_lists_the_families() -> None:
    assert MODELS.names() == ["dcgan", "mlp", "pix2pix", "resnet", "toy"]
    for name in MODELS:
        fam = MODELS.get(name)
        assert isinstance(fam, ModelFamily) and fam.name == name and fam.description
    assert MODELS.get("dcgan").resolutions == (28, 32, 64)
    assert MODELS.get("resnet").resolutions == (28, 32)
    assert MODELS.get("mlp").resolutions == ()  # empty = any resolution
    assert MODELS.get("mlp").supports(17) and MODELS.get("dcgan").supports(28)
    assert not MODELS.get("dcgan").supports(48)
    with pytest.raises(ValueError, match="Did you mean 'dcgan'"):
        MODELS.get("dcgn")


@pytest.mark.parametrize(("family", "res", "num_classes", "sn"), CASES)
def test_shapes_range_and_backward(family: str, res: int, num_classes: int, sn: bool) -> None:
    torch.manual_seed(0)
    G, D = build(family, res, num_classes, sn, channels=3)
    z, labels = inputs(num_classes)
    x = G(z, labels)
    assert x.shape == (B, 3, res, res) and x.dtype == torch.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    logits = D(x, labels)
    assert logits.shape == (B,) and logits.dtype == torch.float32
    logits.sum().backward()
    for module in (G, D):
        for name, p in module.named_parameters():
            assert p.grad is not None, f"{type(module).__name__}.{name} got no gradient"
            assert torch.isfinite(p.grad).all()
    assert any(p.grad.abs().sum() > 0 for p in G.parameters() if p.grad is not None)
    # A conditional model records how it takes the label: the family's default generator way, projection in D.
    g_cond = {"conditioning": MODELS.get(family).generator_conditionings[0]} if num_classes else {}
    d_cond = {"conditioning": "projection"} if num_classes else {}
    assert G.config == {
        "z_dim": Z_DIM, "channels": 3, "resolution": res, "width": WIDTH, "num_classes": num_classes, **g_cond,
    }  # fmt: skip
    assert D.config == {
        "channels": 3,
        "resolution": res,
        "width": WIDTH,
        "num_classes": num_classes,
        "spectral_norm": sn,
        "norm": "batch" if family == "dcgan" and not sn else "none",
        **d_cond,
    }


@pytest.mark.parametrize(("family", "res", "num_classes", "sn"), CASES)
def test_spectral_norm_wraps_every_weight_layer_and_drops_batchnorm(
    family: str, res: int, num_classes: int, sn: bool
) -> None:
    _, D = build(family, res, num_classes, sn)
    layers = [m for m in D.modules() if isinstance(m, nn.Conv2d | nn.Linear | nn.Embedding)]
    assert layers and all(has_spectral_norm(m) == sn for m in layers)
    if sn:
        assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in D.modules())


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_spectral_norm_bounds_the_largest_singular_value(family: str) -> None:
    torch.manual_seed(0)
    _, D = build(family, 28, CLASSES, sn=True)
    x, labels = torch.randn(B, 1, 28, 28), torch.arange(B)
    D.train()
    with torch.no_grad():
        for _ in range(30):  # one power iteration per training-mode forward
            D(x, labels)
    linears = [m for m in D.modules() if isinstance(m, nn.Linear)]
    for lin in linears:
        sigma = torch.linalg.matrix_norm(lin.weight.detach(), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_labels_condition_the_output(family: str) -> None:
    torch.manual_seed(0)
    G, D = build(family, 28, CLASSES)
    G.eval()
    z = torch.randn(1, Z_DIM).expand(CLASSES, Z_DIM)
    labels = torch.arange(CLASSES)
    with torch.no_grad():
        with torch.no_grad():  # make the class tables non-trivial (conditional BN starts at identity)
            for m in G.modules():
                if isinstance(m, nn.Embedding):
                    m.weight.normal_()
        images = G(z, labels)  # same z, five classes
        assert not torch.allclose(images[0], images[1])
        scores = D(images[:1].expand(CLASSES, -1, -1, -1), labels)  # same image, five classes
        assert not torch.allclose(scores[0], scores[1])


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_label_errors(family: str) -> None:
    G_c, D_c = build(family, 28, CLASSES)
    G_u, D_u = build(family, 28, 0)
    z, x = torch.randn(B, Z_DIM), torch.zeros(B, 1, 28, 28)
    with pytest.raises(ValueError, match="class-conditional"):
        G_c(z)
    with pytest.raises(ValueError, match="class-conditional"):
        D_c(x)
    with pytest.raises(ValueError, match="unconditional"):
        G_u(z, torch.zeros(B, dtype=torch.int64))
    with pytest.raises(ValueError, match="unconditional"):
        D_u(x, torch.zeros(B, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        G_c(z, torch.full((B,), CLASSES))
    with pytest.raises(ValueError, match="int64"):
        D_c(x, torch.zeros(B, dtype=torch.int32))


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_input_shape_errors(family: str) -> None:
    G, D = build(family, 28)
    with pytest.raises(ValueError, match=r"\[B, 16\]"):
        G(torch.randn(B, Z_DIM + 1))
    with pytest.raises(ValueError, match=r"\[B, 1, 28, 28\]"):
        D(torch.zeros(B, 1, 32, 32))


@pytest.mark.parametrize(("family", "bad", "supported"), [("dcgan", 48, "28, 32, 64"), ("resnet", 64, "28, 32")])
def test_unsupported_resolution_names_the_supported_ones(family: str, bad: int, supported: str) -> None:
    fam = MODELS.get(family)
    with pytest.raises(ConfigError, match=f"supported: {supported}"):
        fam.generator(z_dim=Z_DIM, channels=1, resolution=bad, width=WIDTH)
    with pytest.raises(ConfigError, match=f"supported: {supported}"):
        fam.discriminator(channels=1, resolution=bad, width=WIDTH)


def test_invalid_arguments_are_config_errors() -> None:
    mlp = MODELS.get("mlp")
    with pytest.raises(ConfigError, match="resolution"):
        mlp.generator(z_dim=Z_DIM, channels=1, resolution=0, width=WIDTH)
    with pytest.raises(ConfigError, match="width"):
        MODELS.get("dcgan").discriminator(channels=1, resolution=28, width=0)
    with pytest.raises(ConfigError, match="num_classes"):
        MODELS.get("resnet").generator(z_dim=Z_DIM, channels=1, resolution=28, width=WIDTH, num_classes=-1)
    with pytest.raises(ConfigError, match="z_dim"):
        mlp.generator(z_dim=True, channels=1, resolution=28, width=WIDTH)  # a bool is not a size


def test_mlp_any_resolution_and_width_scaling() -> None:
    G, D = build("mlp", 10)
    assert G(torch.randn(B, Z_DIM)).shape == (B, 1, 10, 10)
    G = MODELS.get("mlp").generator(z_dim=100, channels=1, resolution=28, width=256)
    D = MODELS.get("mlp").discriminator(channels=1, resolution=28, width=256)
    assert [m.out_features for m in G.modules() if isinstance(m, nn.Linear)] == [256, 512, 1024, 784]
    assert [m.out_features for m in D.modules() if isinstance(m, nn.Linear)] == [512, 256, 1]


def test_dcgan_28_layout_and_init() -> None:
    torch.manual_seed(0)
    G = MODELS.get("dcgan").generator(z_dim=100, channels=1, resolution=28, width=64)
    shapes: list[tuple[int, ...]] = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: shapes.append(tuple(o.shape))) for m in G.net]
    G(torch.randn(2, 100))
    for h in hooks:
        h.remove()
    assert G.project.out_features == 128 * 7 * 7  # z -> 2w x 7x7
    assert (2, 64, 14, 14) in shapes and shapes[-1] == (2, 1, 28, 28)
    convt = next(m for m in G.modules() if isinstance(m, nn.ConvTranspose2d))
    assert convt.weight.std().item() == pytest.approx(0.02, rel=0.05)  # N(0, 0.02)
    bn = next(m for m in G.modules() if isinstance(m, nn.BatchNorm2d))
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)
    assert 0.01 < bn.weight.std().item() < 0.03  # N(1, 0.02)


@pytest.mark.parametrize(("family", "res"), [("dcgan", 28), ("dcgan", 64), ("resnet", 32)])
def test_channels_last_matches_contiguous(family: str, res: int) -> None:
    torch.manual_seed(0)
    G, D = build(family, res, CLASSES, sn=True, channels=3)
    G.eval(), D.eval()
    z, labels = inputs(CLASSES)
    with torch.no_grad():
        x_ref = G(z, labels)
        d_ref = D(x_ref, labels)
    G_cl = G.to(memory_format=torch.channels_last)
    D_cl = D.to(memory_format=torch.channels_last)
    x = G_cl(z, labels)
    assert torch.allclose(x, x_ref, atol=1e-5)
    d = D_cl(x.contiguous(memory_format=torch.channels_last), labels)
    assert torch.allclose(d, d_ref, atol=1e-4)
    d.sum().backward()
    assert all(p.grad is not None for p in G_cl.parameters())


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_bf16_autocast_forward_and_backward(family: str) -> None:
    torch.manual_seed(0)
    G, D = build(family, 28, CLASSES, sn=True)
    z, labels = inputs(CLASSES)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = G(z, labels)
        logits = D(x, labels)
    assert x.shape == (B, 1, 28, 28) and x.abs().max() <= 1.0
    assert logits.shape == (B,) and torch.isfinite(logits).all()
    logits.float().sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in G.parameters())


@pytest.mark.parametrize("family", ["mlp", "dcgan", "resnet"])
def test_no_cpu_assumptions_runs_on_the_meta_device(family: str) -> None:
    # Anything created on the CPU inside forward / the penalties would fail to mix with meta tensors,
    # so this stands in for a CUDA run on a machine without one.
    from ganforge.losses import LOSSES, gradient_penalty, r1_penalty

    G, D = build(family, 28, CLASSES, sn=True)
    G, D = G.to("meta"), D.to("meta")
    z = torch.randn(B, Z_DIM, device="meta")
    labels = torch.zeros(B, dtype=torch.int64, device="meta")
    x = G(z, labels)
    assert x.device.type == "meta" and x.shape == (B, 1, 28, 28)
    real = torch.empty(B, 1, 28, 28, device="meta").requires_grad_(True)
    loss = LOSSES.get("wgan-gp").d_loss(D(real, labels), D(x.detach(), labels))
    loss = loss + gradient_penalty(lambda t: D(t, labels), real, x, generator=torch.Generator().manual_seed(0))
    loss = loss + r1_penalty(D(real, labels), real)
    assert loss.device.type == "meta" and loss.shape == ()
    loss.backward()


def test_module_config_is_the_constructor_arguments() -> None:
    G, _ = build("dcgan", 28, CLASSES)
    assert module_config(G) == {
        "z_dim": Z_DIM, "channels": 1, "resolution": 28, "width": WIDTH, "num_classes": CLASSES,
        "conditioning": "embed",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="no `config` dict"):
        module_config(nn.Linear(2, 2))


def test_discriminator_norm_choice() -> None:
    from ganforge.errors import ConfigError
    from ganforge.models import MODELS

    d_layer = MODELS.get("dcgan").discriminator(channels=1, resolution=28, width=8, norm="layer")
    kinds = {type(m).__name__ for m in d_layer.modules()}
    assert "GroupNorm" in kinds and "BatchNorm2d" not in kinds
    x = torch.randn(4, 1, 28, 28)
    # per-sample normalisation: a sample's score does not depend on the rest of the batch (needed for GP)
    assert torch.allclose(d_layer(x)[:2], d_layer(x[:2]), atol=1e-6)
    with pytest.raises(ConfigError, match="norm must be one of"):
        MODELS.get("mlp").discriminator(channels=1, resolution=28, width=8, norm="batch")
