"""Fixtures shared by every test: real database files in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.db import Database, open_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's campus database file lives."""
    return tmp_path / "campus.dabiao"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """A freshly migrated, empty campus database file, closed cleanly afterwards."""
    database = open_database(db_path)
    try:
        yield database
    finally:
        database.close()
