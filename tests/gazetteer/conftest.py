"""Shared fixtures: the bundled-data resolver and the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazetteer import Resolver, default_resolver

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def resolver() -> Resolver:
    return default_resolver()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip("../shared is not available")
    return SHARED
