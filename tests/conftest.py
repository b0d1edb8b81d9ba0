"""Fixtures shared by every test."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the user's real cache (~/.cache/ganforge) from the tests."""
    monkeypatch.setenv("GANFORGE_CACHE", str(tmp_path_factory.mktemp("ganforge-cache")))
