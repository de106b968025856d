"""Fixtures of the crash and network trials: the small demo campus, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import build_campus


@pytest.fixture(scope="session")
def campus_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo campus (today: Shanghai's today), copied by each trial before use."""
    return build_campus(tmp_path_factory.mktemp("reliability") / "template.dabiao")
