"""Dotted ``key=value`` overrides (``optim.lr_g=1e-4``) and the keys a ``--resume`` may change.

Values are read as YAML scalars; a number that is not finite (``1e999``, ``.inf``, ``.nan``) is refused here,
where the user typed it, since no field of a run accepts one.
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any

import yaml

from ganforge.errors import ConfigError

#: Keys that moved into the recipe's section (``recipe.*``) and where they live now.
MOVED_KEYS = {
    "loss.name": "recipe.loss",
    "loss.gp_weight": "recipe.gp_weight",
    "loss.r1_gamma": "recipe.r1_gamma",
    "loss.r1_interval": "recipe.r1_interval",
    "loss.weight_clip": "recipe.weight_clip",
    "model.pack": "recipe.pack",
    "optim.n_critic": "recipe.n_critic",
    "optim.share_fake": "recipe.share_fake",
}

# What ``ganforge train --resume DIR KEY=VALUE`` may change: when and where the run works, never what it computes,
# so the resumed run stays the uninterrupted one.
RESUME_OVERRIDES = (
    "train.max_minutes",
    "train.threads",  # the same maths; only the CPU's summation order may differ with the thread count
    "train.log_every",
    "train.sample_every",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "eval.every",  # evaluation draws from its own seeded generators, never from the training RNG (tested)
    "data.path",  # the same images moved: a resume checks their count and shape against run.json
)

_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def check_resume_overrides(overrides: dict[str, Any]) -> None:
    """Raises :class:`ConfigError` for an override that would change what a resumed run computes."""
    for key in overrides:
        if key not in RESUME_OVERRIDES:
            raise ConfigError(
                f"--resume cannot change {key}: a resumed run keeps the config it was trained with; "
                f"it may change only {', '.join(RESUME_OVERRIDES)} (and --steps, steps= in Python). "
                "Start a new run for other changes"
            )


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """Parses ``["a.b=1", "c.d=x"]``; values are read as YAML scalars (``1e-4``, ``true``, ``null``).

    Raises:
        ConfigError: For a pair without ``=``, a value YAML cannot read, or a number that is not finite.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {pair!r} is not of the form key=value (e.g. optim.lr_g=1e-4)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {pair!r}: cannot parse value: {exc}") from None
        if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
            value = float(value)  # YAML 1.1 reads "1e-4" (no dot) as a string
        check_finite(key.strip(), value)
        out[key.strip()] = value
    return out


def check_finite(key: str, value: Any) -> None:
    """Raises :class:`ConfigError` when ``value`` (or an item of a list) is a float that is not finite."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, float) and not math.isfinite(item):
            raise ConfigError(
                f"config key {key!r} must be a finite number, got {item!r} (a value such as 1e999 overflows to "
                "infinity); give a finite value"
            )


def moved_key_error(key: str) -> ConfigError | None:
    """The error for a key that moved into the recipe's section, or ``None`` when ``key`` did not move."""
    new = MOVED_KEYS.get(key)
    if new is None:
        return None
    return ConfigError(f"config key {key!r} moved to {new!r} (the adversarial recipe's section); set {new}=...")


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Sets ``data[a][b] = value`` for ``key = "a.b"``; unknown keys raise with a "did you mean"."""
    moved = moved_key_error(key)
    if moved is not None:
        raise moved
    parts = key.split(".")
    node = data
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            options = list(node) if isinstance(node, dict) else []
            close = difflib.get_close_matches(part, options, n=1, cutoff=0.5)
            prefix = ".".join(parts[:i])
            hint = f" Did you mean {'.'.join([*parts[:i], close[0], *parts[i + 1 :]])!r}?" if close else ""
            where = f" in section {prefix!r}" if prefix else ""
            raise ConfigError(f"unknown config key {key!r}{where}.{hint} Known: {', '.join(options)}.")
        if i == len(parts) - 1:
            if isinstance(node[part], dict):
                raise ConfigError(
                    f"config key {key!r} is a section; set one of its fields, e.g. {key}.{next(iter(node[part]))}=..."
                )
            node[part] = value
        else:
            node = node[part]
