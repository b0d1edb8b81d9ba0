"""The configuration reference (``docs/configuration.md``), generated from the config dataclasses' docstrings.

Every field of every section, each registered recipe's section included, is listed with its type, its default
and the text of its ``Attributes:`` entry. A field without an entry is an error, so the reference cannot fall
behind the code: ``python -m ganforge.config.reference --check docs/configuration.md`` fails when it has.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from ganforge.config.schema import RunConfig

_INTRO = """\
# Configuration reference

A run is described by one config with the sections below. It is built from the defaults listed here, then a
preset (`ganforge presets`; a preset is a YAML file of the same keys), then `key=value` overrides on the command
line (`ganforge train mnist-dcgan optim.lr_g=1e-4 train.steps=2000`). `ganforge train ... --dry-run` prints the
resolved config without training; a run writes it to `RUN/config.json`, and `--resume` trains with that file
(only the budget and cadence keys may change on resume). Unknown keys and ill-typed values are refused with the
key's name and the fix.

Values are YAML / JSON: `null` for none, `true` / `false`, lists as `[1000, 2000]`.

This page is generated from the config classes (`python -m ganforge.config.reference --write
docs/configuration.md`); a test fails when it differs from the code.
"""


def _field_docs(cls: type) -> dict[str, str]:
    """The ``Attributes:`` entries of ``cls``'s docstring, by field name, each joined onto one line; a field a
    subclass inherits without documenting it again keeps its base class's entry."""
    entries: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if dataclasses.is_dataclass(base) and base is not cls:
            entries.update(_own_field_docs(base))
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    entries = {k: v for k, v in entries.items() if k in names}
    entries.update(_own_field_docs(cls))
    return entries


def _own_field_docs(cls: type) -> dict[str, str]:
    """The ``Attributes:`` entries written in ``cls``'s own docstring."""
    doc = cls.__doc__ or ""
    doc = inspect.cleandoc(doc)
    lines = doc.split("Attributes:", 1)[1].splitlines() if "Attributes:" in doc else []
    entries: dict[str, str] = {}
    current = None
    for line in lines:
        match = re.match(r"^ {4}(\w+): (.*)$", line)
        if match:
            current = match.group(1)
            entries[current] = match.group(2).strip()
        elif line.startswith(" " * 8) and current is not None:
            entries[current] += " " + line.strip()
        elif line.strip():
            break  # the next docstring section
    return entries


def _summary(cls: type) -> str:
    return (inspect.getdoc(cls) or "").split("\n\n", 1)[0].replace("\n", " ").strip()


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " \\| ".join(f"`{json.dumps(arg)}`" for arg in get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join("`null`" if arg is type(None) else _type_name(arg) for arg in get_args(tp))
    if origin is tuple:
        return f"list of {_type_name(get_args(tp)[0])}"
    return {int: "integer", float: "number", str: "string", bool: "boolean"}.get(tp, str(tp))


def _default(cls: type, f: dataclasses.Field[Any]) -> str:
    value = getattr(cls(), f.name)
    if isinstance(value, tuple):
        value = list(value)
    return f"`{json.dumps(value)}`"


def _markdown_text(text: str) -> str:
    """Docstring markup (``code``) as Markdown, safe inside a table cell."""
    text = re.sub(r":\w+:`~?([\w.]+)`", r"``\1``", text)  # Sphinx roles (:data:`X`) as code
    return text.replace("``None``", "``null``").replace("``", "`").replace("|", "\\|")


def section_table(cls: type, prefix: str) -> list[str]:
    """The Markdown table of ``cls``'s fields, keys written as ``prefix + name``.

    Raises:
        ValueError: A field has no ``Attributes:`` entry in the class docstring, or an entry names no field.
    """
    docs = _field_docs(cls)
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not dataclasses.is_dataclass(hints[f.name])]
    missing = [f.name for f in fields if f.name not in docs]
    if missing:
        raise ValueError(f"{cls.__qualname__}: no docstring entry (Attributes:) for {', '.join(missing)}")
    stale = [name for name in docs if name not in {f.name for f in fields}]
    if stale:
        raise ValueError(f"{cls.__qualname__}: docstring entries for fields that do not exist: {', '.join(stale)}")
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for f in fields:
        cells = [f"`{prefix}{f.name}`", _type_name(hints[f.name]), _default(cls, f), _markdown_text(docs[f.name])]
        rows.append(f"| {' | '.join(cells)} |")
    return rows


def _recipe_base() -> type:
    from ganforge.config.schema import RecipeConfig

    return RecipeConfig


def markdown() -> str:
    """The whole configuration reference, as ``docs/configuration.md`` holds it."""
    from ganforge.recipes import RECIPES

    hints = typing.get_type_hints(RunConfig)
    out = [_INTRO, "## Top level", "", _markdown_text(_summary(RunConfig)), "", *section_table(RunConfig, ""), ""]
    for section in RunConfig.SECTIONS:
        if section == "recipe":
            out += ["## `recipe`", "", _markdown_text(_summary(_recipe_base())), ""]
            for name in RECIPES.names():
                recipe = RECIPES.get(name)
                cls = recipe.config
                out += [f"### `recipe.name: {name}`", "", _markdown_text(_summary(cls)), ""]
                out += [*section_table(cls, "recipe."), ""]
            continue
        cls = hints[section]
        out += [f"## `{section}`", "", _markdown_text(_summary(cls)), "", *section_table(cls, f"{section}."), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ganforge.config.reference", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, metavar="FILE", help="write the reference to FILE")
    group.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if FILE differs from the code")
    args = parser.parse_args(argv)
    text = markdown()
    if args.write is not None:
        from ganforge.fileio import atomic_write_text

        atomic_write_text(args.write, text)
        return 0
    current = args.check.read_text() if args.check.is_file() else ""
    if current != text:
        print(f"{args.check} differs from the config classes; regenerate it with --write {args.check}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
