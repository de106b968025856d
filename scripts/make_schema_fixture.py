"""Write the upgrade fixture of one schema revision: a small demo file made by the code of the
commit where that revision was the newest migration.

The upgrade tests (``tests/reliability/test_upgrades.py``) open every file in
``tests/fixtures/schemas/`` with today's code, which migrates it, and prove no row is lost. A
fixture must be written by the *old* code, so this script checks that commit out into a
temporary git worktree, runs that commit's demo builder there (``shared.demo.build_demo``, at a
reduced scale so the file stays small) and removes the worktree again.

Adding the fixture for a new migration (the test ``test_head_revision_has_a_fixture`` fails
until you do)::

    # once the new migration (say 0005) is committed, from the repository root:
    .venv/bin/python scripts/make_schema_fixture.py 0005
    git add -f tests/fixtures/schemas/0005.dabiao   # -f: .gitignore ignores *.dabiao

Without ``--commit`` the script takes the newest commit whose ``shared/db.py`` names the
revision as ``HEAD_REVISION`` (the last commit where it was the newest); give ``--commit`` to
pick another. Existing fixtures are never rewritten: they stand for files already out there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "schemas"
TODAY = "2026-03-18"  # a Wednesday: two and a half months of history since 1 January
SEED = 1

# Runs inside the worktree with that commit's code first on sys.path: a smaller scale than
# "small" (a few months, fewer people), then the old builder writes the file.
_BUILD = """
import dataclasses, sys
from datetime import date
import shared.demo as demo
assert demo.__file__.startswith(sys.argv[1]), demo.__file__
small = demo.SCALES["small"]
demo.SCALES["fixture"] = dataclasses.replace(
    small, history_years=0, consultants=2, initial_students=40, pin_pool=8
)
result = demo.build_demo(
    __import__("pathlib").Path(sys.argv[2]), scale="fixture", seed=int(sys.argv[3]),
    today=date.fromisoformat(sys.argv[4]),
)
for login in result.logins:
    print("login", login.name, ",".join(login.roles), login.pin)

import importlib.util
if importlib.util.find_spec("shared.sync_log") is not None:
    # The LAN sync tables exist (0003 on): fill them the way phones do, through the services.
    from datetime import UTC, datetime
    from sqlalchemy import select
    from shared import auth, sync_log
    from shared.db import open_database
    from shared.models import Parent, Staff
    now = datetime.fromisoformat(sys.argv[4] + "T02:00:00").replace(tzinfo=UTC)
    db = open_database(__import__("pathlib").Path(sys.argv[2]), create=False)
    try:
        with db.reader() as s:
            staff = list(s.scalars(select(Staff).order_by(Staff.name, Staff.id)))
            manager = next(x for x in staff if x.has_role("manager"))
            parent = s.scalars(select(Parent).order_by(Parent.id)).first()
            other = next(x for x in staff if x.id != manager.id)
        with db.unit_of_work() as s:
            ticket = auth.create_pairing_token(s, staff_id=manager.id, now=now)
            auth.redeem_pairing_token(s, token=ticket.token, device_name="店长的手机", now=now)
        try:
            auth.pin_login(db, staff_id=other.id, pin="000000x", device_name="猜", now=now)
        except auth.Unauthorized:
            pass
        who = auth.Principal.of_staff(manager)
        base = parent.version
        edits = [
            {"name": "edit_parent", "base_version": base,
             "args": {"parent_id": parent.id, "fields": {"wechat": "wx_fixture_1"}}},
            {"name": "edit_parent", "base_version": base,
             "args": {"parent_id": parent.id, "fields": {"wechat": "wx_fixture_2"}}},
        ]
        for n, edit in enumerate(edits):
            # Two phones edit the same field from the same base: the second one conflicts.
            request = sync_log.PushRequest.model_validate({
                "client_id": f"fixture{n}client000000000000000ab",
                "schema_version": sync_log.API_SCHEMA_VERSION,
                "mutations": [{"mutation_id": 1, **edit}],
            })
            sync_log.push(db, who, request, now=now)
    finally:
        db.close()
"""


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def commit_of(revision: str) -> str:
    """The newest commit whose ``shared/db.py`` has ``HEAD_REVISION = "<revision>"``."""
    for commit in _git("log", "--format=%H", "--", "shared/db.py").split():
        source = _git("show", f"{commit}:shared/db.py")
        if f'HEAD_REVISION = "{revision}"' in source:
            return commit
    # Before HEAD_REVISION existed: the commit just before the next migration was added.
    added = _git("log", "--format=%H", "--diff-filter=A", "--", "shared/migrations/versions")
    following = [c for c in added.split() if _revision_added_by(c) > revision]
    if not following:
        raise SystemExit(f"no commit has revision {revision} as its newest migration")
    return _git("rev-parse", f"{following[-1]}^")


def _revision_added_by(commit: str) -> str:
    names = _git(
        "show",
        "--diff-filter=A",
        "--name-only",
        "--format=",
        commit,
        "--",
        "shared/migrations/versions",
    ).split()
    return min((Path(n).name[:4] for n in names if n.endswith(".py")), default="")


def stored_revision(path: Path) -> str:
    """The Alembic revision written in a database file."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def make_fixture(revision: str, commit: str, dest: Path) -> None:
    """Build ``dest`` with the demo builder of ``commit`` and check its revision."""
    worktree = Path(tempfile.mkdtemp(prefix=f"wt-{revision}-"))
    worktree.rmdir()
    _git("worktree", "add", "--detach", str(worktree), commit)
    try:
        out = Path(tempfile.mkdtemp()) / f"{revision}.dabiao"
        env = {**os.environ, "PYTHONPATH": str(worktree)}
        done = subprocess.run(
            [sys.executable, "-c", _BUILD, str(worktree), str(out), str(SEED), TODAY],
            cwd=worktree,
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"the demo builder of {commit[:10]} failed:\n{done.stderr}")
        found = stored_revision(out)
        if found != revision:
            raise SystemExit(f"{commit[:10]} wrote revision {found}, not {revision}")
        conn = sqlite3.connect(out)
        conn.execute("VACUUM")
        conn.close()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(out, dest)
        logins = [line for line in done.stdout.splitlines() if line.startswith("login ")]
        print(
            f"{dest.relative_to(ROOT)}: commit {commit[:10]}, revision {revision}, "
            f"{dest.stat().st_size / 1024:.0f} KiB, {len(logins)} logins"
        )
    finally:
        _git("worktree", "remove", "--force", str(worktree))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="schema revision, e.g. 0005")
    parser.add_argument("--commit", help="the commit to build with (default: found from git)")
    args = parser.parse_args(argv)
    dest = FIXTURES / f"{args.revision}.dabiao"
    if dest.exists():
        print(
            f"{dest.relative_to(ROOT)} exists already; fixtures are never rewritten.",
            file=sys.stderr,
        )
        return 1
    make_fixture(args.revision, args.commit or commit_of(args.revision), dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
