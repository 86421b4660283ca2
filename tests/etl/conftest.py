"""Shared fixtures for the ETL tests: the invented sample report and the ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture(scope="session")
def sample_text() -> str:
    return (FIXTURES / "sample_report.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "reports").is_dir() or not (SHARED / "gold").is_dir():
        pytest.skip("../shared (sample reports and gold files) is not available")
    return SHARED
