"""The import directions of the package (source -> dataset -> recipe -> trainer -> run directory -> metrics ...).

Read from the source with ``ast``, every import counted, including those inside functions and ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ganforge

PACKAGE = Path(ganforge.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "ganforge"}


def _modules(subpackage: str) -> dict[str, set[str]]:
    root = PACKAGE / subpackage
    files = [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
    return {str(f.relative_to(PACKAGE.parent)): _imports(f) for f in files}


def _offenders(subpackage: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for module, names in _modules(subpackage).items():
        bad = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        if bad:
            out[module] = bad
    return out


def test_metrics_import_nothing_from_training_or_recipes() -> None:
    assert _offenders("metrics", ("ganforge.training", "ganforge.recipes", "ganforge.api", "ganforge.evaluation")) == {}


def test_models_import_nothing_from_training() -> None:
    forbidden = ("ganforge.training", "ganforge.recipes", "ganforge.api", "ganforge.evaluation")
    assert _offenders("models", forbidden) == {}
    assert _offenders("nn", forbidden) == {}
    assert _offenders("losses", forbidden) == {}


def test_no_module_imports_the_cli() -> None:
    offenders = {m: n for m, n in _offenders(".", ("ganforge.cli",)).items() if not m.startswith("ganforge/cli/")}
    offenders.pop("ganforge/__main__.py", None)  # `python -m ganforge` is the CLI's other door
    assert offenders == {}


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The rules would be toothless if a lazy import escaped them."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from ganforge.training.loop import fit\n    import ganforge.cli.main\n")
    assert {"ganforge.training.loop", "ganforge.cli.main", "ganforge.training.loop.fit"} <= _imports(source)
