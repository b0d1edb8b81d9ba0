"""Presets: the YAML files shipped in ``ganforge/presets/`` (one per recipe + dataset), and run config files.

A preset is a partial config: defaults <- ``ganforge/presets/NAME.yaml`` <- overrides. The files are package
data, so an installed ganforge has them wherever it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ganforge.config.schema import RunConfig, from_dict, migrate_legacy
from ganforge.errors import ConfigError
from ganforge.registry import Registry

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"

PRESETS: Registry[Path] = Registry("preset")


def _discover_presets() -> None:
    if len(PRESETS) == 0 and PRESET_DIR.is_dir():
        for path in sorted(PRESET_DIR.glob("*.yaml")):
            PRESETS.add(path.stem, path)


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    _discover_presets()
    return PRESETS.names()


def load_preset(name: str, overrides: list[str] | dict[str, Any] | None = None) -> RunConfig:
    """Defaults <- ``ganforge/presets/NAME.yaml`` <- overrides, validated."""
    _discover_presets()
    path = PRESETS.get(name)
    with path.open() as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"preset file {path} must hold a mapping")
    data = {"preset": name, **data}
    cfg = from_dict(data)
    return cfg.replace(overrides) if overrides else cfg


def load_config_file(path: str | Path) -> RunConfig:
    """Reads a ``config.json`` written by a run (or any JSON/YAML file of the same shape).

    A file written before the ``recipe`` section existed is read in today's layout (:func:`migrate_legacy`).

    Raises:
        ConfigError: When the file is missing, is not valid JSON / YAML, or does not describe a valid run; the
            message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise ConfigError(f"config file {path} is not valid {kind} ({exc}); restore it or start a new run") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of config sections, got {type(data).__name__}")
    try:
        return from_dict(migrate_legacy(data))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
