"""Atomic writes and temporary files: modes follow the umask like a plain open() / mkdir(), not 0600 / 0700."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from ganforge.fileio import atomic_write, atomic_write_text, make_temp_dir, make_temp_file
from ganforge.models import MODELS, save_pretrained
from ganforge.training import checkpoint as ckpt

#: (umask, mode of a new file, mode of a new folder)
UMASKS = [
    pytest.param(0o022, 0o644, 0o755, id="umask022"),
    pytest.param(0o077, 0o600, 0o700, id="umask077"),
    pytest.param(0o002, 0o664, 0o775, id="umask002"),
]


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """Sets the (process-wide) umask for the block and restores the previous one."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), UMASKS)
def test_atomic_write_gives_the_umask_mode(tmp_path: Path, mask: int, file_mode: int, dir_mode: int) -> None:
    with umask(mask):
        path = atomic_write(tmp_path / "sub" / "metrics.jsonl", lambda fh: fh.write(b"{}\n"))
        text = atomic_write_text(tmp_path / "config.json", "{}")
        replaced = tmp_path / "old.png"
        replaced.write_bytes(b"old")
        replaced.chmod(0o600)
        atomic_write(replaced, lambda fh: fh.write(b"new"), durable=True)
    assert path.read_bytes() == b"{}\n" and replaced.read_bytes() == b"new"
    assert (mode(path), mode(text), mode(replaced)) == (file_mode, file_mode, file_mode)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["config.json", "metrics.jsonl", "old.png", "sub"]


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), UMASKS)
def test_temporaries_are_unique_and_get_the_umask_mode(
    tmp_path: Path, mask: int, file_mode: int, dir_mode: int
) -> None:
    with umask(mask):
        fd, file = make_temp_file(tmp_path, prefix=".data.", suffix=".part")
        os.close(fd)
        folders = [make_temp_dir(tmp_path, prefix=".tmp-") for _ in range(20)]
    assert file.name.startswith(".data.") and file.name.endswith(".part") and file.stat().st_size == 0
    assert mode(file) == file_mode
    assert len(set(folders)) == 20 and all(f.is_dir() and f.name.startswith(".tmp-") for f in folders)
    assert {mode(f) for f in folders} == {dir_mode}


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), UMASKS)
def test_saved_models_and_checkpoints_are_readable_per_umask(
    tmp_path: Path, mask: int, file_mode: int, dir_mode: int
) -> None:
    G = MODELS.get("mlp").generator(z_dim=4, channels=1, resolution=8, width=8, num_classes=0)
    with umask(mask):
        save_pretrained(G, tmp_path / "run" / "generator", family="mlp", role="generator")
        final = ckpt.save_checkpoint(tmp_path / "run" / "checkpoints", 10, {"w": torch.ones(3)}, {})
    generator = tmp_path / "run" / "generator"
    assert (mode(generator), mode(final)) == (dir_mode, dir_mode)  # were 0o700 whatever the umask
    files = [*generator.iterdir(), *final.iterdir(), final.parent / ckpt.LATEST]
    assert len(files) == 5 and {mode(f) for f in files} == {file_mode}
