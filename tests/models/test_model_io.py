"""save_pretrained / load_pretrained: bitwise round trips, safetensors only, no overwrite, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import ganforge.models.io as model_io
from ganforge.errors import ConfigError, GanforgeError
from ganforge.models import MODELS, load_pretrained, save_pretrained

B = 4


def make(family: str, role: str, *, num_classes: int = 0, sn: bool = False, res: int = 28) -> nn.Module:
    torch.manual_seed(0)
    fam = MODELS.get(family)
    if role == "generator":
        return fam.generator(z_dim=16, channels=1, resolution=res, width=8, num_classes=num_classes)
    return fam.discriminator(channels=1, resolution=res, width=8, num_classes=num_classes, spectral_norm=sn)


def run(module: nn.Module, num_classes: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    labels = torch.randint(0, num_classes, (B,), generator=g) if num_classes else None
    with torch.no_grad():
        if "z_dim" in module.config:
            return module(torch.randn(B, 16, generator=g), labels)
        return module(torch.rand(B, 1, 28, 28, generator=g) * 2 - 1, labels)


def train_a_little(module: nn.Module, num_classes: int) -> None:
    """Moves BN running stats and spectral-norm u/v away from their initial values."""
    module.train()
    for _ in range(3):
        run(module, num_classes)
    module.eval()


ROUND_TRIPS = [
    (family, role, num_classes, sn)
    for family in ("mlp", "dcgan", "resnet")
    for role, sn in (("generator", False), ("discriminator", False), ("discriminator", True))
    for num_classes in (0, 3)
]


@pytest.mark.parametrize(("family", "role", "num_classes", "sn"), ROUND_TRIPS)
def test_round_trip_is_bitwise(tmp_path: Path, family: str, role: str, num_classes: int, sn: bool) -> None:
    module = make(family, role, num_classes=num_classes, sn=sn)
    train_a_little(module, num_classes)
    expected = run(module, num_classes)
    save_pretrained(module, tmp_path / "m", family=family, role=role, extra={"step": 7})
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["config.json", "model.safetensors"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary left behind
    loaded = load_pretrained(tmp_path / "m")
    assert type(loaded) is type(module) and not loaded.training
    assert loaded.config == module.config
    assert torch.equal(run(loaded, num_classes), expected)
    for (k1, v1), (k2, v2) in zip(module.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)


def test_config_json_contents(tmp_path: Path) -> None:
    D = make("dcgan", "discriminator", num_classes=3, sn=True)
    save_pretrained(D, tmp_path / "d", family="dcgan", role="discriminator", extra={"dataset": "mnist"})
    payload = json.loads((tmp_path / "d" / "config.json").read_text())
    assert payload == {
        "format_version": 1,
        "family": "dcgan",
        "role": "discriminator",
        "config": {
            "channels": 1,
            "resolution": 28,
            "width": 8,
            "num_classes": 3,
            "spectral_norm": True,
            "norm": "none",
            "conditioning": "projection",
        },
        "extra": {"dataset": "mnist"},
    }


def test_weights_are_safetensors_not_pickle(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    D = make("resnet", "discriminator", sn=True)
    save_pretrained(D, tmp_path / "d", family="resnet", role="discriminator")
    raw = (tmp_path / "d" / "model.safetensors").read_bytes()
    assert not raw.startswith(b"\x80")  # pickle protocol marker
    assert b"PK\x03\x04" not in raw[:8]  # torch.save zip archive
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    assert "blocks.0.conv1.parametrizations.weight.0._u" in header  # spectral-norm buffers are saved
    assert set(load_file(tmp_path / "d" / "model.safetensors")) == set(D.state_dict())


def test_channels_last_module_saves_and_loads(tmp_path: Path) -> None:
    G = make("dcgan", "generator").to(memory_format=torch.channels_last).eval()
    save_pretrained(G, tmp_path / "g", family="dcgan", role="generator")
    assert torch.equal(run(load_pretrained(tmp_path / "g"), 0), run(G, 0))


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "g"
    first = make("mlp", "generator").eval()
    save_pretrained(first, target, family="mlp", role="generator")
    with torch.no_grad():
        second = make("mlp", "generator").eval()
        for p in second.parameters():
            p.add_(1.0)
    with pytest.raises(GanforgeError, match="overwrite=True"):
        save_pretrained(second, target, family="mlp", role="generator")
    assert torch.equal(run(load_pretrained(target), 0), run(first, 0))  # untouched
    save_pretrained(second, target, family="mlp", role="generator", overwrite=True)
    assert torch.equal(run(load_pretrained(target), 0), run(second, 0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]  # backup removed


def test_an_existing_empty_directory_is_fine(tmp_path: Path) -> None:
    (tmp_path / "g").mkdir()
    save_pretrained(make("mlp", "generator"), tmp_path / "g", family="mlp", role="generator")
    assert (tmp_path / "g" / "model.safetensors").is_file()


def test_a_file_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "g").write_text("not a directory")
    with pytest.raises(GanforgeError, match="not a directory"):
        save_pretrained(make("mlp", "generator"), tmp_path / "g", family="mlp", role="generator", overwrite=True)


def failing_write(path: Path, data: bytes, *, shown_as: Path | None = None) -> None:
    Path(path).write_bytes(data[: len(data) // 2])  # half a file, then the disk is full
    raise OSError("disk full")


def test_failed_write_leaves_no_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_io, "write_synced", failing_write)
    with pytest.raises(OSError, match="disk full"):
        save_pretrained(make("dcgan", "generator"), tmp_path / "runs" / "g", family="dcgan", role="generator")
    assert list((tmp_path / "runs").iterdir()) == []  # neither the target nor a temporary


def test_failed_overwrite_keeps_the_old_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    G = make("dcgan", "generator").eval()
    save_pretrained(G, tmp_path / "g", family="dcgan", role="generator")
    monkeypatch.setattr(model_io, "write_synced", failing_write)
    with pytest.raises(OSError, match="disk full"):
        save_pretrained(G, tmp_path / "g", family="dcgan", role="generator", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]
    assert torch.equal(run(load_pretrained(tmp_path / "g"), 0), run(G, 0))


def test_save_killed_between_the_two_renames_is_recovered(tmp_path: Path) -> None:
    """The state a SIGKILL between `old -> backup` and `new -> target` leaves: target gone, backup complete."""
    G = make("dcgan", "generator").eval()
    save_pretrained(G, tmp_path / "g", family="dcgan", role="generator")
    (tmp_path / "g").rename(tmp_path / ".g.old-deadbeef")
    loaded = load_pretrained(tmp_path / "g")  # readers fall back to the previous model
    assert torch.equal(run(loaded, 0), run(G, 0))
    G2 = make("dcgan", "generator", res=32).eval()
    save_pretrained(G2, tmp_path / "g", family="dcgan", role="generator", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]  # the next save removes the backup
    assert torch.equal(run(load_pretrained(tmp_path / "g"), 0), run(G2, 0))


def test_no_backup_means_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".g.old-1234").mkdir()  # an incomplete backup is never used
    with pytest.raises(GanforgeError, match="no model directory"):
        load_pretrained(tmp_path / "g")


def test_save_checks_family_role_and_json(tmp_path: Path) -> None:
    G = make("dcgan", "generator")
    with pytest.raises(ConfigError, match="expects a DCGANDiscriminator"):
        save_pretrained(G, tmp_path / "a", family="dcgan", role="discriminator")
    with pytest.raises(ConfigError, match="role"):
        save_pretrained(G, tmp_path / "a", family="dcgan", role="critic")
    with pytest.raises(ConfigError, match="Did you mean 'dcgan'"):
        save_pretrained(G, tmp_path / "a", family="dcgn", role="generator")
    with pytest.raises(ConfigError, match="JSON"):
        save_pretrained(G, tmp_path / "a", family="dcgan", role="generator", extra={"bad": object()})
    assert not (tmp_path / "a").exists()


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    save_pretrained(make("dcgan", "generator"), tmp_path / "g", family="dcgan", role="generator")
    return tmp_path / "g"


def edit_config(directory: Path, key: str, value: object, inner: bool = False) -> None:
    path = directory / "config.json"
    payload = json.loads(path.read_text())
    (payload["config"] if inner else payload)[key] = value
    path.write_text(json.dumps(payload))


def test_load_errors_missing(tmp_path: Path, saved: Path) -> None:
    with pytest.raises(GanforgeError, match="no model directory"):
        load_pretrained(tmp_path / "nope")
    (saved / "model.safetensors").unlink()
    with pytest.raises(GanforgeError, match=r"model\.safetensors is missing"):
        load_pretrained(saved)


def test_load_error_unknown_family(saved: Path) -> None:
    edit_config(saved, "family", "dcgn")
    with pytest.raises(ConfigError, match="Did you mean 'dcgan'"):
        load_pretrained(saved)


def test_load_error_shape_mismatch(saved: Path) -> None:
    edit_config(saved, "width", 16, inner=True)
    with pytest.raises(GanforgeError, match="size mismatch"):
        load_pretrained(saved)


def test_load_error_format_version(saved: Path) -> None:
    edit_config(saved, "format_version", 2)
    with pytest.raises(GanforgeError, match="format_version 2"):
        load_pretrained(saved)


def test_load_error_bad_config_key(saved: Path) -> None:
    edit_config(saved, "depth", 3, inner=True)
    with pytest.raises(ConfigError, match="does not fit DCGANGenerator"):
        load_pretrained(saved)


def test_load_error_corrupt_weights(saved: Path) -> None:
    (saved / "model.safetensors").write_bytes(b"\x00" * 3)
    with pytest.raises(GanforgeError, match="cannot read"):
        load_pretrained(saved)


def test_map_location(saved: Path) -> None:
    G = load_pretrained(saved, map_location=torch.device("cpu"))
    assert all(p.device.type == "cpu" for p in G.parameters())
