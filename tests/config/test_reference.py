"""The configuration reference is generated from the config classes and matches docs/configuration.md."""

import dataclasses
from pathlib import Path

import pytest

from ganforge.config import RunConfig
from ganforge.config.reference import main, markdown, section_table
from ganforge.recipes import RECIPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_docs_configuration_md_is_the_generated_reference() -> None:
    assert DOC.read_text() == markdown(), (
        "docs/configuration.md is out of date: python -m ganforge.config.reference --write docs/configuration.md"
    )


def test_every_key_of_every_section_and_recipe_is_listed_with_its_default() -> None:
    text = markdown()
    cfg = RunConfig()
    for section in RunConfig.SECTIONS:
        for f in dataclasses.fields(getattr(cfg, section)):
            assert f"| `{section}.{f.name}` |" in text, f"{section}.{f.name}"
    for name in RECIPES.names():
        for f in dataclasses.fields(RECIPES.get(name).config):
            assert f"| `recipe.{f.name}` |" in text
    assert "| `optim.lr_g` | number | `0.0002` | Generator learning rate. |" in text
    assert "| `recipe.gp_weight` | number or `null` | `null` |" in text
    assert '| `model.d_norm` | `"auto"` \\| `"batch"` \\| `"layer"` \\| `"none"` | `"auto"` |' in text
    assert "``" not in text and ":data:" not in text  # docstring markup rendered as Markdown


def test_a_field_without_a_docstring_entry_is_an_error() -> None:
    @dataclasses.dataclass(frozen=True)
    class Section:
        """A section.

        Attributes:
            documented: Has its line.
        """

        documented: int = 1
        forgotten: float = 2.0

    with pytest.raises(ValueError, match=r"no docstring entry .* forgotten"):
        section_table(Section, "x.")

    @dataclasses.dataclass(frozen=True)
    class Renamed:
        """A section.

        Attributes:
            old_name: Was renamed.
        """

        new_name: int = 1

    with pytest.raises(ValueError, match="new_name"):
        section_table(Renamed, "x.")


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(DOC.read_text().replace("Generator learning rate.", "The old text."))
    assert main(["--check", str(page)]) == 1
    assert main(["--write", str(page)]) == 0
    assert main(["--check", str(page)]) == 0 and page.read_text() == markdown()
