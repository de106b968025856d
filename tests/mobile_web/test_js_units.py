"""The pure modules of the phone client (outbox, overlays, ids, formatting) under node --test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent / "js"


def test_node_unit_tests_pass() -> None:
    # scripts/install-system-deps.sh installs Node.js; a missing node is a failure, not a skip.
    assert shutil.which("node"), "node is not installed (run scripts/install-system-deps.sh)"
    files = sorted(str(p) for p in HERE.glob("*.test.mjs"))
    assert files, "no JavaScript tests found"
    done = subprocess.run(
        ["node", "--test", *files], capture_output=True, text=True, timeout=120, check=False
    )
    summary = "\n".join(line for line in done.stdout.splitlines() if line.startswith("# "))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in summary and "# pass" in summary, summary
