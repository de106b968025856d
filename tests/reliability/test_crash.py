"""Crash trials: ``dabiao serve`` is SIGKILLed at random moments while phones push.

Every acknowledged mutation must be on disk exactly once after each kill, the sync log's
count must agree with the rows, and the file must pass ``PRAGMA integrity_check`` every time.
The long trial (``bash scripts/dev.sh reliability``) writes artifacts/reliability/crash.json;
``DABIAO_CRASH_KILLS`` (default 25) sets its number of kills, ``DABIAO_RELIABILITY_SEED`` replays
a printed seed. The short trial (3 kills) is part of the default run.
"""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import pytest

from .harness import crash_trial

CRASH_KILLS = int(os.environ.get("DABIAO_CRASH_KILLS", "25"))


def _seed() -> int:
    return int(os.environ.get("DABIAO_RELIABILITY_SEED", random.SystemRandom().randrange(2**31)))


def test_three_kills_lose_and_duplicate_nothing(tmp_path: Path, campus_template: Path) -> None:
    summary = asyncio.run(
        crash_trial(
            tmp_path,
            name="crash-short",
            kills=3,
            seed=_seed(),
            up_for=(0.3, 1.2),
            campus=campus_template,
        )
    )
    assert summary.kills >= 3
    assert summary.mutations_acknowledged == summary.mutations_made > 0
    assert summary.integrity_checks_passed == summary.integrity_checks == 4
    assert (summary.lost, summary.duplicated) == (0, 0)


@pytest.mark.reliability
@pytest.mark.timeout(3600)
def test_crash_trial(tmp_path: Path) -> None:
    summary = asyncio.run(crash_trial(tmp_path, name="crash", kills=CRASH_KILLS, seed=_seed()))
    summary.write()
    assert summary.kills >= CRASH_KILLS
    assert summary.mutations_acknowledged == summary.mutations_made > 0
    assert summary.integrity_checks_passed == summary.integrity_checks
    assert (summary.lost, summary.duplicated) == (0, 0)
