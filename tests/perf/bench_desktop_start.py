"""Benchmark: from process start to an interactive dashboard, beside a bare PySide6 window.

Run it by hand (it is not collected by pytest)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/perf/bench_desktop_start.py [--runs 5]
    xvfb-run -a .venv/bin/python tests/perf/bench_desktop_start.py   # a real X server

The small demo is built once in a temporary folder (its history ending on :data:`DAY`). Then,
in turns, ``--runs`` times each, every child of the desktop program on an injected clock
(``now=`` of :func:`desktop.app.everyday_session` and :class:`~desktop.app.DesktopSession`,
as the tests pin it):

* **bare** — a child process that imports PySide6, shows a QMainWindow with one label and
  paints it;
* **first start** (cold), at :data:`CLOSED_AT` (21:03 in Shanghai on day D) — a fresh copy of
  the demo opened the way ``dabiao --db`` does (:func:`~desktop.app.everyday_session` finds no
  snapshot, so the session opens and migrates the file, the embedded server starts on
  127.0.0.1 without mDNS, the main window shows) until the dashboard has drawn its figures
  read from the file (the first refresh delivered and painted, server running, nothing
  pending); then the window closes cleanly, which stamps the dashboard snapshot of day D and
  the following days;
* **next-day start** (the everyday start: the front desk opens Dabiao the morning after), at
  :data:`NEXT_MORNING` (08:30 on day D + 1) — the same file, the snapshot valid for that date:
  ready when the window is shown and painted with the dashboard drawn from the snapshot. The
  child then also waits until the file is open, the dashboard re-read from it and the server
  running (reported as "file open + served", not part of the goal's figure), and closes;
* **same-day restart**, a quarter of an hour later on day D + 1 — the same again, from the
  snapshot that close stamped.

Each child prints ``ready`` when it got there; the parent measures the wall time from spawning
it to reading that line (interpreter start and imports included) and its peak memory from
``os.wait4`` (``ru_maxrss``). Printed: the medians, the ratio of each start to the bare window
(the goal, dabiao <= 3 × bare, is judged on the next-day start) and the peak memory of each;
and the time the cold child's close took (the figures of the following days are read then).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL_RATIO = 3.0
DAY = date(2025, 6, 18)  # a Wednesday: day D, the demo's last day of history
CLOSED_AT = datetime(2025, 6, 18, 13, 3, tzinfo=UTC)  # 21:03 in Shanghai on day D
NEXT_MORNING = datetime(2025, 6, 19, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai on day D + 1
SAME_DAY_LATER = NEXT_MORNING + timedelta(minutes=15)
KINDS = {  # child kind: (the start it expects, its clock)
    "cold": ("cold", CLOSED_AT),
    "next-day": ("everyday", NEXT_MORNING),
    "same-day": ("everyday", SAME_DAY_LATER),
}


# --------------------------------------------------------------------------- children


def child_bare() -> None:
    """A bare PySide6 window: import, show, paint, say ready."""
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare"))
    window.resize(1360, 860)
    window.show()
    window.repaint()
    app.processEvents()
    print("ready", flush=True)
    window.close()


def child_dabiao(path: Path, kind: str) -> None:
    """The desktop program on ``path``: show, dashboard drawn, say ready; then close cleanly.

    ``kind`` (a key of :data:`KINDS`) names the clock and the start expected: ``cold`` (no
    snapshot: the file is opened first, the dashboard read from it, the server started) or
    ``everyday`` (a valid snapshot: ready once the window shows the dashboard drawn from it).
    The ready line carries the phases (seconds since the child's first line of Python):
    imports done, window shown, dashboard drawn; a second line, once the file is open and the
    server runs: ``served`` and its time; a third, ``closed``, the seconds the close took.
    """
    expect, instant = KINDS[kind]
    started = time.perf_counter()
    os.environ["XDG_CONFIG_HOME"] = str(path.parent / "config")
    os.environ["XDG_CACHE_HOME"] = str(path.parent / "cache")
    from desktop.app import DesktopSession, everyday_session, make_application
    from desktop.config import DesktopConfig

    phases = [time.perf_counter()]
    app = make_application()
    config = DesktopConfig.load()
    server = {"host": "127.0.0.1", "port": 0, "mdns": False, "now": lambda: instant}
    session = everyday_session(path, demo=False, config=config, **server)
    if (session is None) != (expect == "cold"):
        raise SystemExit(f"expected the {expect} start, got the other one")
    if session is None:
        from shared.db import open_database

        session = DesktopSession(open_database(path, create=False), config=config, **server)
    session.show()
    app.processEvents()
    phases.append(time.perf_counter())
    page = session.window.page("dashboard")

    def served() -> bool:
        drawn = getattr(page, "figures", None) is not None
        return drawn and session.bridge.running and not session.ctx.ops.pending

    def wait(condition) -> None:  # noqa: ANN001
        deadline = time.monotonic() + 60
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit("the dashboard did not draw within a minute")
            app.processEvents()
            time.sleep(0.002)

    wait(served if expect == "cold" else lambda: page.figures is not None)
    session.window.repaint()
    app.processEvents()
    phases.append(time.perf_counter())
    print("ready", *(f"{t - started:.3f}" for t in phases), flush=True)
    wait(served)
    print("served", f"{time.perf_counter() - started:.3f}", flush=True)
    closing = time.perf_counter()
    session.window.close()
    session.close()
    print("closed", f"{time.perf_counter() - closing:.3f}", flush=True)


# --------------------------------------------------------------------------- parent


def measure(args: list[str]) -> tuple[float, int, list[float], float]:
    """Seconds from spawning a child to its ``ready`` line, its peak RSS in KiB, its phases
    and the seconds its close took (0 for the bare window)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    line, *phases = child.stdout.readline().split()
    elapsed = time.perf_counter() - started
    rest = child.stdout.read().split()
    if "served" in rest:  # the everyday start's file open + server up, after ready
        phases.append(rest[rest.index("served") + 1])
    closed = float(rest[rest.index("closed") + 1]) if "closed" in rest else 0.0
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if line != "ready" or child.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {child.returncode}, said {line!r})")
    return elapsed, usage.ru_maxrss, [float(p) for p in phases], closed


def main() -> int:
    parser = argparse.ArgumentParser(description="desktop start-up benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=["bare", *KINDS])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child == "bare":
        child_bare()
        return 0
    if args.child in KINDS:
        child_dabiao(args.db, args.child)
        return 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "")
    if not os.environ["QT_QPA_PLATFORM"]:
        del os.environ["QT_QPA_PLATFORM"]
    sys.path.insert(0, str(ROOT))
    from shared.demo import build_demo

    work = Path(tempfile.mkdtemp(prefix="dabiao-bench-start-"))
    try:
        template = work / "template.dabiao"
        built = time.perf_counter()
        build_demo(template, scale="small", seed=1, today=DAY)
        print(f"small demo built in {time.perf_counter() - built:.1f} s", flush=True)
        kinds = ("bare", *KINDS)
        runs: dict[str, list[tuple[float, int, list[float], float]]] = {k: [] for k in kinds}
        for run in range(args.runs):
            runs["bare"].append(measure(["--child", "bare"]))
            copy = work / f"run{run}" / "campus.dabiao"
            copy.parent.mkdir()
            shutil.copyfile(template, copy)
            for kind in KINDS:  # cold at D, then the next morning, then again that morning
                runs[kind].append(measure(["--child", kind, "--db", str(copy)]))
        platform = os.environ.get("QT_QPA_PLATFORM") or "xcb (DISPLAY)"
        median = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
        peak = {k: max(r[1] for r in v) / 1024 for k, v in runs.items()}
        print(f"platform: {platform}; runs: {args.runs} each, in turns; median wall time")
        labels = {
            "bare": "bare PySide6 window:        ",
            "cold": "first start (cold), day D:  ",
            "next-day": "next-day start (everyday): ",
            "same-day": "same-day restart:           ",
        }
        for key, label in labels.items():
            ratio = "" if key == "bare" else f"  = {median[key] / median['bare']:5.2f} × bare"
            print(f"  {label}{median[key] * 1000:6.0f} ms  peak RSS {peak[key]:6.1f} MiB{ratio}")
        names = ("imports", "window shown", "dashboard drawn", "file open + served")
        for key in KINDS:
            phases = [statistics.median(r[2][i] for r in runs[key]) for i in range(4)]
            print(
                f"  {key} phases (median s after its first line): "
                + ", ".join(f"{n} {m:.2f}" for n, m in zip(names, phases, strict=True))
            )
        for key in KINDS:
            closes = " ".join(f"{r[3]:.2f}" for r in runs[key])
            print(f"  {key} close (s, the snapshot and its following days included): {closes}")
        for key, goal in (("next-day", True), ("same-day", False), ("cold", False)):
            ratio = median[key] / median["bare"]
            verdict = "ok" if ratio <= GOAL_RATIO else "OVER the goal"
            which = "the goal's figure" if goal else "for reference"
            print(f"  {key} ratio: {ratio:.2f} × (goal <= {GOAL_RATIO:.0f} ×, {which}): {verdict}")
        for key in runs:
            print(f"  all runs {key} (s): " + " ".join(f"{r[0]:.2f}" for r in runs[key]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
