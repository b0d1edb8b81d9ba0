"""Save / load a generator or discriminator as ``config.json`` + ``model.safetensors`` (no pickle).

``config.json`` holds ``{"format_version": 1, "family", "role", "config": module.config, "extra": {...}}``;
``model.safetensors`` holds the ``state_dict()`` (spectral-norm ``original`` weights and ``_u`` / ``_v``
buffers included). Writes go to a temporary directory next to the target that is renamed into place, so a
reader never sees a half-written model and a failed write leaves nothing behind.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

from ganforge.errors import ConfigError, GanforgeError
from ganforge.fileio import fsync_dir, make_temp_dir, write_synced
from ganforge.models.family import MODELS, ModelFamily, module_config
from ganforge.registry import UnknownNameError

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
ROLES: tuple[str, ...] = ("generator", "discriminator")


def save_pretrained(
    module: nn.Module,
    directory: str | Path,
    *,
    family: str,
    role: str,
    extra: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> None:
    """Writes ``module`` to ``directory`` as ``config.json`` + ``model.safetensors``, atomically.

    Args:
        module: A generator or discriminator of ``family`` (exact class, not a ``torch.compile`` / DDP
            wrapper: pass ``compiled._orig_mod`` / ``ddp.module``). Its ``config`` dict is saved.
        directory: Target directory; created with its parents. Must be absent or empty unless ``overwrite``.
        family: Registered model family name ("mlp", "dcgan", "resnet").
        role: "generator" or "discriminator".
        extra: JSON-serialisable metadata stored under "extra" (e.g. dataset, step); not used for loading.
        overwrite: Replace an existing non-empty ``directory``. The old contents are removed only after the
            new ones are in place.

    Raises:
        ConfigError: Unknown family or role, a module that is not that family's class, or a config / extra
            that is not JSON-serialisable.
        GanforgeError: ``directory`` is a file, or a non-empty directory and ``overwrite`` is False.
    """
    cls = _role_class(_family(family, where="save_pretrained"), role, where="save_pretrained")
    if type(module) is not cls:
        raise ConfigError(
            f"save_pretrained: family {family!r} role {role!r} expects a {cls.__name__}, got {type(module).__name__}"
            " (unwrap torch.compile / DDP wrappers first: module._orig_mod / module.module)"
        )
    config = module_config(module)
    payload = {"format_version": FORMAT_VERSION, "family": family, "role": role, "config": config, "extra": extra or {}}
    try:
        text = json.dumps(payload, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as err:
        raise ConfigError(f"save_pretrained: config and extra must be JSON-serialisable: {err}") from None
    tensors = _state_tensors(module)

    target = Path(directory)
    if target.exists():
        if not target.is_dir():
            raise GanforgeError(f"save_pretrained: {target} exists and is not a directory")
        if any(target.iterdir()) and not overwrite:
            raise GanforgeError(f"save_pretrained: {target} is not empty; pass overwrite=True to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp_dir(target.parent, prefix=f".{target.name}.tmp-")  # umask-based mode, readable like a mkdir
    try:
        write_synced(tmp / CONFIG_NAME, text.encode("utf-8"), shown_as=target / CONFIG_NAME)
        weights = save(tensors, metadata={"format": "pt"})  # not save_file: 0600
        write_synced(tmp / WEIGHTS_NAME, weights, shown_as=target / WEIGHTS_NAME)
        _move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(target.parent)
    for stale in (*target.parent.glob(f".{target.name}.old-*"), *target.parent.glob(f".{target.name}.tmp-*")):
        shutil.rmtree(stale, ignore_errors=True)  # left by a save that was killed part-way


def complete_model_dir(directory: str | Path) -> Path | None:
    """``directory`` if it holds a saved model; else the backup left by a save killed mid-swap; else ``None``.

    Replacing a saved model takes two renames (old -> ``.NAME.old-*``, new -> ``NAME``). A process
    killed between them leaves ``NAME`` absent and the complete previous model in the backup, which
    readers use until the next save puts a new model in place and removes the backup.
    """
    path = Path(directory)
    if (path / CONFIG_NAME).is_file() and (path / WEIGHTS_NAME).is_file():
        return path
    if path.exists():
        return None
    backups = [b for b in path.parent.glob(f".{path.name}.old-*") if (b / CONFIG_NAME).is_file()]
    backups = [b for b in backups if (b / WEIGHTS_NAME).is_file()]
    if not backups:
        return None
    backup = max(backups, key=lambda b: b.stat().st_mtime)
    log.warning("%s is missing (a save was interrupted); using its previous version %s", path, backup)
    return backup


def load_pretrained(directory: str | Path, *, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuilds a generator or discriminator saved by :func:`save_pretrained`.

    The class comes from the registry (``family`` + ``role`` in ``config.json``), is constructed from the
    saved ``config`` and loads the weights strictly (every key, every shape).

    Args:
        directory: Directory holding ``config.json`` and ``model.safetensors``.
        map_location: Device to put the module on ("cpu", "cuda", "cuda:1", a ``torch.device``).

    Returns:
        The module, in eval mode (call ``.train()`` to keep training it).

    Raises:
        GanforgeError: Missing directory or file, unreadable / corrupt file, unsupported format version,
            weights that are not finite (NaN / Inf), or weights that do not match the architecture (missing /
            unexpected keys, shape mismatch).
        ConfigError: Unknown family or role, or a config the family's constructor rejects.
    """
    path = complete_model_dir(directory) or Path(directory)
    if not path.is_dir():
        raise GanforgeError(f"load_pretrained: no model directory at {path}")
    config_path, weights_path = path / CONFIG_NAME, path / WEIGHTS_NAME
    for required in (config_path, weights_path):
        if not required.is_file():
            raise GanforgeError(f"load_pretrained: {required} is missing (expected {CONFIG_NAME} + {WEIGHTS_NAME})")
    try:
        payload = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GanforgeError(f"load_pretrained: cannot read {config_path}: {err}") from None
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        version = payload.get("format_version") if isinstance(payload, dict) else None
        raise GanforgeError(
            f"load_pretrained: {config_path} has format_version {version!r}; this ganforge reads {FORMAT_VERSION}"
        )
    where = str(config_path)
    cls = _role_class(_family(payload.get("family"), where=where), payload.get("role"), where=where)
    config = payload.get("config")
    if not isinstance(config, dict):
        raise ConfigError(f"{config_path}: 'config' must be an object of constructor arguments")
    try:
        module = cls(**config)
    except TypeError as err:
        raise ConfigError(f"{config_path}: config does not fit {cls.__name__}: {err}") from None
    try:
        tensors = load_file(str(weights_path), device="cpu")
    except (OSError, SafetensorError) as err:
        raise GanforgeError(f"load_pretrained: cannot read {weights_path}: {err}") from None
    for name, tensor in tensors.items():  # a NaN weight makes every image NaN, which saves as black: say so now
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise GanforgeError(
                f"load_pretrained: {weights_path}: tensor {name!r} has {bad} of {tensor.numel()} values that are not "
                "finite (NaN or Inf); the weights are broken (saved from a diverged model, or damaged): use a "
                "good copy, or another run's generator/"
            )
    try:
        module.load_state_dict(tensors, strict=True)
    except RuntimeError as err:
        raise GanforgeError(f"load_pretrained: {weights_path} does not match {cls.__name__}({config}): {err}") from None
    return module.to(map_location).eval()


def _family(name: object, *, where: str) -> ModelFamily:
    if not isinstance(name, str):
        raise ConfigError(f"{where}: model family must be a string, got {name!r}")
    try:
        return MODELS.get(name)
    except UnknownNameError as err:
        raise ConfigError(f"{where}: {err}") from None


def _role_class(family: ModelFamily, role: object, *, where: str) -> type[nn.Module]:
    if role == "generator":
        return family.generator
    if role == "discriminator":
        return family.discriminator
    raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")


def _state_tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    """``state_dict()`` as dense, CPU, unshared tensors (what safetensors requires)."""
    tensors: dict[str, torch.Tensor] = {}
    seen: set[tuple[int, int]] = set()
    for name, value in module.state_dict().items():
        t = value.detach().to("cpu").contiguous()
        key = (t.untyped_storage().data_ptr(), t.storage_offset())
        if t.numel() > 0 and key in seen:
            t = t.clone()  # tied / aliased tensors: safetensors refuses shared storage
        seen.add(key)
        tensors[name] = t
    return tensors


def _move_into_place(tmp: Path, target: Path) -> None:
    """Renames the finished ``tmp`` directory to ``target``, replacing an existing one only after the swap."""
    if not target.exists():
        os.replace(tmp, target)
        return
    if not any(target.iterdir()):
        target.rmdir()
        os.replace(tmp, target)
        return
    backup = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(target, backup)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
