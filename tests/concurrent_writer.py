"""A second process for the backup tests: ``python -m tests.concurrent_writer DB LOG STOP MAX``.

It inserts campuses one transaction at a time through the real storage layer and appends each
id to LOG only after its commit returned, until the file STOP appears or MAX seconds pass.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from shared.db import open_database
from shared.models import Campus, new_id


def main(db_path: str, log_path: str, stop_path: str, max_seconds: str) -> int:
    """Write until told to stop; return 0."""
    stop = Path(stop_path)
    deadline = time.monotonic() + float(max_seconds)
    db = open_database(db_path, create=False)
    try:
        with open(log_path, "a", encoding="ascii") as log:
            n = 0
            while not stop.exists() and time.monotonic() < deadline:
                campus_id = new_id()
                with db.unit_of_work() as session:
                    session.add(Campus(id=campus_id, name=f"并发写入{n}", code=f"W{n}"))
                # Logged only now: the id is known to be committed, never before.
                log.write(campus_id + "\n")
                log.flush()
                n += 1
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
