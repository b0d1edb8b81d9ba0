"""Crash-safe checkpoints: safetensors for tensors, JSON for everything else, no pickle.

Layout of ``RUN/checkpoints/``::

    step_0001000/state.safetensors   every tensor: weights, optimiser moments, RNG states
    step_0001000/meta.json           step, optimiser hyper-parameters, tensor digest
    latest                           name of the newest complete checkpoint directory

A checkpoint is written into a hidden temporary directory, fsync'ed, renamed into place and only
then named in ``latest`` (itself replaced atomically). Killing the process at any instant leaves
either the previous or the new checkpoint as ``latest``, never a partial one. Loading verifies the
digest recorded in ``meta.json`` and falls back to the newest intact checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save
from torch import Tensor, nn

from ganforge.errors import CheckpointMismatch, GanforgeError
from ganforge.fileio import atomic_write_text, fsync_dir, make_temp_dir, write_synced

log = logging.getLogger(__name__)

STATE_FILE = "state.safetensors"
META_FILE = "meta.json"
LATEST = "latest"
FORMAT_VERSION = 1


def tensor_digest(tensors: dict[str, Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of every tensor (order-independent)."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def checkpoint_name(step: int) -> str:
    return f"step_{step:07d}"


def save_checkpoint(
    directory: Path, step: int, tensors: dict[str, Tensor], meta: dict[str, Any], *, keep: int = 2
) -> Path:
    """Atomically writes checkpoint ``step`` under ``directory`` and points ``latest`` at it.

    Args:
        directory: The run's ``checkpoints/`` folder (created if missing).
        step: Number of completed training steps.
        tensors: Flat name -> tensor mapping (moved to CPU, made contiguous).
        meta: JSON-serialisable metadata.
        keep: Number of most recent checkpoints kept; older ones are deleted after the switch.

    Returns:
        The final checkpoint directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / checkpoint_name(step)
    cpu = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    record = {"format_version": FORMAT_VERSION, "step": step, "digest": tensor_digest(cpu), **meta}
    tmp = make_temp_dir(directory, prefix=f".tmp-{final.name}-")  # umask-based mode, readable like a mkdir
    try:
        write_synced(tmp / STATE_FILE, save(cpu), shown_as=final / STATE_FILE)  # not save_file: a 0600 file
        write_synced(tmp / META_FILE, json.dumps(record, indent=2).encode(), shown_as=final / META_FILE)
        fsync_dir(tmp)
        if final.exists():  # re-saving the same step (e.g. after a rollback): swap the old one out
            trash = directory / f".trash-{final.name}-{os.getpid()}"
            os.replace(final, trash)
            os.replace(tmp, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, final)
        fsync_dir(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atomic_write_text(directory / LATEST, final.name + "\n")
    _prune(directory, keep=keep, protect=final.name)
    return final


def _complete_checkpoints(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("step_*") if p.is_dir() and (p / META_FILE).is_file())


def _prune(directory: Path, *, keep: int, protect: str) -> None:
    ckpts = _complete_checkpoints(directory)
    for old in ckpts[: max(len(ckpts) - keep, 0)]:
        if old.name != protect:
            shutil.rmtree(old, ignore_errors=True)
    for stale in directory.glob(".tmp-*"):  # left by a process killed mid-save
        shutil.rmtree(stale, ignore_errors=True)
    for stale in directory.glob(".trash-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _read(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    meta = json.loads((path / META_FILE).read_text())
    tensors = load_file(str(path / STATE_FILE))
    if tensor_digest(tensors) != meta.get("digest"):
        raise GanforgeError(f"checkpoint {path} is corrupt (digest mismatch)")
    return tensors, meta


def _inside(directory: Path, name: str, *, named_by: Path) -> Path:
    """``directory / name``, refusing (:class:`GanforgeError`) what would make a resume load, or a later save
    prune, files outside the run: an edited ``latest`` naming a path (``../../elsewhere``, an absolute path) or a
    checkpoint folder that is a link to another place."""
    path = directory / name
    fix = f"a checkpoint must be a step_NNNNNNN folder in {directory}: put the checkpoint's folder there"
    if Path(name).name != name or name in (".", ".."):
        raise GanforgeError(f"{named_by} names {name!r}, outside its run; {fix}, or delete {named_by} to resume "
                            "from the newest checkpoint there")  # fmt: skip
    if path.exists() and path.resolve().parent != directory.resolve():
        raise GanforgeError(f"{path} is a link to {path.resolve()}, outside its run; {fix} instead of the link")
    return path


def has_checkpoint(directory: Path) -> bool:
    """Whether ``directory`` holds any checkpoint, intact or not (``latest`` or a ``step_*`` folder)."""
    directory = Path(directory)
    return (directory / LATEST).exists() or any(directory.glob("step_*"))


def load_latest(directory: Path) -> tuple[dict[str, Tensor], dict[str, Any], Path]:
    """Loads the checkpoint named by ``latest``, or the newest intact one if that fails.

    Raises:
        GanforgeError: if the folder holds no intact checkpoint.
    """
    directory = Path(directory)
    candidates: list[Path] = []
    latest = directory / LATEST
    if latest.is_file():
        candidates.append(_inside(directory, latest.read_text().strip(), named_by=latest))
    candidates += [_inside(directory, p.name, named_by=p) for p in reversed(_complete_checkpoints(directory))]
    candidates = list(dict.fromkeys(candidates))
    errors = []
    for path in candidates:
        try:
            tensors, meta = _read(path)
        except Exception as exc:
            errors.append(f"{path.name}: {exc}")
            log.warning("skipping unreadable checkpoint %s: %s", path, exc)
            continue
        return tensors, meta, path
    detail = f" ({'; '.join(errors)})" if errors else ""
    raise GanforgeError(f"no intact checkpoint in {directory}{detail}; start a new run instead of resuming")


# ------------------------------------------------------------------- flattening training state to tensors


def rng_state_tensors(noise: torch.Generator) -> dict[str, Tensor]:
    """Global CPU / CUDA RNG states and the training-noise generator's state."""
    out = {"rng.cpu": torch.get_rng_state(), "rng.noise": noise.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["rng.cuda"] = torch.cuda.get_rng_state()
    return out


def restore_rng(tensors: dict[str, Tensor], noise: torch.Generator) -> None:
    torch.set_rng_state(tensors["rng.cpu"])
    noise.set_state(tensors["rng.noise"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])


def optimizer_to_flat(name: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Splits an optimiser's state dict into tensors and JSON (param groups, non-tensor state)."""
    sd = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if isinstance(value, Tensor):
                tensors[f"optim.{name}.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def optimizer_from_flat(
    name: str, optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor], meta: dict[str, Any]
) -> None:
    prefix = f"optim.{name}."
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith(prefix):
            idx, field = key[len(prefix) :].split(".", 1)
            state.setdefault(int(idx), {})[field] = value
    for idx, values in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(values)
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    # safetensors stores contiguous tensors; give moments back their parameter's memory layout
    # (channels_last conv weights), so the optimiser's element-wise kernels take the same code path
    # as in an uninterrupted run and a resumed run stays bitwise identical.
    for group in optimizer.param_groups:
        for param in group["params"]:
            for key, value in optimizer.state.get(param, {}).items():
                if isinstance(value, Tensor) and value.shape == param.shape and value.stride() != param.stride():
                    optimizer.state[param][key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


def module_tensors(prefix: str, module: nn.Module) -> dict[str, Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_module(prefix: str, module: nn.Module, tensors: dict[str, Tensor]) -> None:
    start = prefix + "."
    sd = {k[len(start) :]: v for k, v in tensors.items() if k.startswith(start)}
    problems = _fit_problems(sd, module.state_dict())
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise CheckpointMismatch(f"{prefix}: {shown}")
    module.load_state_dict(sd, strict=True)


def _fit_problems(saved: dict[str, Tensor], expected: dict[str, Tensor]) -> list[str]:
    """How ``saved`` differs from a module's ``expected`` state dict: missing and unexpected names, other shapes."""
    problems = [
        f"{name} is {list(saved[name].shape)} in the checkpoint, {list(tensor.shape)} in the config's network"
        for name, tensor in expected.items()
        if name in saved and saved[name].shape != tensor.shape
    ]
    missing = [name for name in expected if name not in saved]
    unexpected = [name for name in saved if name not in expected]
    if missing:
        problems.append(f"the checkpoint lacks {len(missing)} tensor(s) of the config's network ({missing[0]}, ...)")
    if unexpected:
        extra = f"the checkpoint has {len(unexpected)} tensor(s) not in the config's network ({unexpected[0]}, ...)"
        problems.append(extra)
    return problems
