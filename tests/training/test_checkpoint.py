import json
import os

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.training import checkpoint as ckpt


def _tensors(v: float) -> dict[str, torch.Tensor]:
    return {"a": torch.full((3, 4), v), "b": torch.arange(5), "rng": torch.get_rng_state()}


def test_save_load_latest_and_prune(tmp_path) -> None:
    for step in (10, 20, 30):
        ckpt.save_checkpoint(tmp_path, step, _tensors(step), {"x": step}, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step_0000020", "step_0000030"]
    tensors, meta, path = ckpt.load_latest(tmp_path)
    assert path.name == "step_0000030" and meta["step"] == 30 and meta["x"] == 30
    assert torch.equal(tensors["a"], torch.full((3, 4), 30.0))
    assert not any(p.suffix in (".pt", ".pkl") for p in path.iterdir())


def test_corrupt_latest_falls_back_to_previous(tmp_path) -> None:
    ckpt.save_checkpoint(tmp_path, 1, _tensors(1), {}, keep=3)
    ckpt.save_checkpoint(tmp_path, 2, _tensors(2), {}, keep=3)
    state = tmp_path / "step_0000002" / ckpt.STATE_FILE
    data = bytearray(state.read_bytes())
    data[-3] ^= 0xFF  # flip a payload byte: digest no longer matches
    state.write_bytes(bytes(data))
    _, meta, path = ckpt.load_latest(tmp_path)
    assert meta["step"] == 1 and path.name == "step_0000001"


def test_no_intact_checkpoint_is_an_error(tmp_path) -> None:
    with pytest.raises(GanforgeError, match="no intact checkpoint"):
        ckpt.load_latest(tmp_path)


def test_failed_save_leaves_previous_latest(tmp_path, monkeypatch) -> None:
    ckpt.save_checkpoint(tmp_path, 5, _tensors(5), {})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "write_synced", boom)
    with pytest.raises(OSError, match="disk full"):
        ckpt.save_checkpoint(tmp_path, 6, _tensors(6), {})
    assert (tmp_path / "latest").read_text().strip() == "step_0000005"
    assert not any(p.name.startswith(".tmp") for p in tmp_path.iterdir())
    assert ckpt.load_latest(tmp_path)[1]["step"] == 5


def test_optimizer_flat_round_trip() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(4, 3)).square().mean().backward()
        opt.step()
    tensors, meta = ckpt.optimizer_to_flat("G", opt)
    tensors = {k: v.clone() for k, v in tensors.items()}  # as if read back from disk
    json.dumps(meta)  # must be JSON, not pickle
    model2 = torch.nn.Linear(3, 2)
    model2.load_state_dict(model.state_dict())
    opt2 = torch.optim.Adam(model2.parameters(), lr=5.0)
    ckpt.optimizer_from_flat("G", opt2, tensors, meta)
    assert opt2.param_groups[0]["lr"] == 1e-3 and opt2.param_groups[0]["betas"] == (0.5, 0.9)
    x = torch.randn(4, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).square().mean().backward()
        o.step()
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters(), strict=True))


def test_atomic_write_text_replaces_whole_file(tmp_path) -> None:
    target = tmp_path / "f.txt"
    ckpt.atomic_write_text(target, "one\n")
    ckpt.atomic_write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_optimizer_restore_keeps_channels_last_moments() -> None:
    """Moments come back from safetensors contiguous; they must take the parameter's layout again."""
    conv = torch.nn.Conv2d(4, 8, 3).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(conv.parameters())
    conv(torch.randn(2, 4, 5, 5).to(memory_format=torch.channels_last)).sum().backward()
    opt.step()
    tensors, meta = ckpt.optimizer_to_flat("D", opt)
    tensors = {k: v.contiguous().clone() for k, v in tensors.items()}  # what safetensors hands back
    opt2 = torch.optim.Adam(conv.parameters())
    ckpt.optimizer_from_flat("D", opt2, tensors, meta)
    for key in ("exp_avg", "exp_avg_sq"):
        restored = opt2.state[conv.weight][key]
        assert restored.stride() == conv.weight.stride() != restored.contiguous().stride()
        assert torch.equal(restored, opt.state[conv.weight][key])
