"""The extending guide's worked examples run as written, each in a fresh process, and its links resolve."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "extending.md"


def _sections() -> dict[str, str]:
    """``{"Add a loss": code, ...}``: the python block of each ``## Add ...`` section."""
    blocks: dict[str, str] = {}
    for section in re.split(r"^## ", GUIDE.read_text(), flags=re.M)[1:]:
        title = section.splitlines()[0].strip()
        code = re.findall(r"^```python\n(.*?)^```", section, flags=re.M | re.S)
        if code:
            blocks[title] = "\n".join(code)
    return blocks


def test_the_guide_has_a_worked_example_for_each_registry() -> None:
    assert list(_sections()) == ["Add a loss", "Add a model family", "Add a metric", "Add a recipe"]


@pytest.mark.parametrize("title", ["Add a loss", "Add a model family", "Add a metric", "Add a recipe"])
def test_a_worked_example_runs_and_its_checks_hold(title: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_sections()[title])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(tmp_path.glob("*/run/generator/config.json")), "the example trained no run"


def test_every_relative_link_in_the_docs_resolves() -> None:
    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
