"""Benchmark: from process start to an interactive dashboard, beside a bare PySide6 window.

Run it by hand (it is not collected by pytest)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/perf/bench_desktop_start.py [--runs 5]
    xvfb-run -a .venv/bin/python tests/perf/bench_desktop_start.py   # a real X server

The small demo is built once in a temporary folder. Then, in turns, ``--runs`` times each:

* **bare** — a child process that imports PySide6, shows a QMainWindow with one label and
  paints it;
* **first start** (cold) — a fresh copy of the demo opened the way ``dabiao --db`` does
  (:func:`desktop.app.everyday_session` finds no snapshot, so :class:`~desktop.app.
  DesktopSession` opens and migrates the file, the embedded server starts on 127.0.0.1 without
  mDNS, the main window shows) until the dashboard has drawn its figures read from the file
  (the first refresh delivered and painted, server running, nothing pending); then the window
  closes cleanly, which stamps the dashboard snapshot;
* **everyday start** — the same file opened a second time, the snapshot now valid: ready when
  the window is shown and painted with the dashboard drawn from the snapshot. The child then
  also waits until the file is open, the dashboard re-read from it and the server running
  (reported as "file open + served", not part of the goal's figure).

Each child prints ``ready`` when it got there; the parent measures the wall time from spawning
it to reading that line (interpreter start and imports included) and its peak memory from
``os.wait4`` (``ru_maxrss``). Printed: the medians, the ratio of each start to the bare window
(the goal, dabiao <= 3 × bare, is judged on the everyday start) and the peak memory of each.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL_RATIO = 3.0


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


def child_dabiao(path: Path, expect: str) -> None:
    """The desktop program on ``path``: show, dashboard drawn, say ready; then close cleanly.

    ``expect`` is ``cold`` (no snapshot: the file is opened first, the dashboard read from it,
    the server started) or ``everyday`` (a valid snapshot: ready once the window shows the
    dashboard drawn from it). The ready line carries the phases (seconds since the child's
    first line of Python): imports done, window shown, dashboard drawn; a second line, once
    the file is open and the server runs: ``served`` and its time.
    """
    started = time.perf_counter()
    os.environ["XDG_CONFIG_HOME"] = str(path.parent / "config")
    os.environ["XDG_CACHE_HOME"] = str(path.parent / "cache")
    from desktop.app import DesktopSession, everyday_session, make_application
    from desktop.config import DesktopConfig

    phases = [time.perf_counter()]
    app = make_application()
    config = DesktopConfig.load()
    server = {"host": "127.0.0.1", "port": 0, "mdns": False}
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
    session.window.close()
    session.close()


# --------------------------------------------------------------------------- parent


def measure(args: list[str]) -> tuple[float, int, list[float]]:
    """Seconds from spawning a child to its ``ready`` line, its peak RSS in KiB, its phases."""
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
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if line != "ready" or child.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {child.returncode}, said {line!r})")
    return elapsed, usage.ru_maxrss, [float(p) for p in phases]


def main() -> int:
    parser = argparse.ArgumentParser(description="desktop start-up benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=["bare", "cold", "everyday"])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child == "bare":
        child_bare()
        return 0
    if args.child in ("cold", "everyday"):
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
        build_demo(template, scale="small", seed=1)
        print(f"small demo built in {time.perf_counter() - built:.1f} s", flush=True)
        runs: dict[str, list[tuple[float, int, list[float]]]] = {
            "bare": [],
            "cold": [],
            "everyday": [],
        }
        for run in range(args.runs):
            runs["bare"].append(measure(["--child", "bare"]))
            copy = work / f"run{run}" / "campus.dabiao"
            copy.parent.mkdir()
            shutil.copyfile(template, copy)
            runs["cold"].append(measure(["--child", "cold", "--db", str(copy)]))
            runs["everyday"].append(measure(["--child", "everyday", "--db", str(copy)]))
        platform = os.environ.get("QT_QPA_PLATFORM") or "xcb (DISPLAY)"
        median = {k: statistics.median(t for t, _, _ in v) for k, v in runs.items()}
        peak = {k: max(m for _, m, _ in v) / 1024 for k, v in runs.items()}
        print(f"platform: {platform}; runs: {args.runs} each, in turns; median wall time")
        labels = {
            "bare": "bare PySide6 window:   ",
            "cold": "first start (cold):    ",
            "everyday": "everyday start:        ",
        }
        for key, label in labels.items():
            ratio = "" if key == "bare" else f"  = {median[key] / median['bare']:5.2f} × bare"
            print(f"  {label}{median[key] * 1000:6.0f} ms  peak RSS {peak[key]:6.1f} MiB{ratio}")
        names = ("imports", "window shown", "dashboard drawn", "file open + served")
        for key in ("cold", "everyday"):
            phases = [statistics.median(p[i] for _, _, p in runs[key]) for i in range(4)]
            print(
                f"  {key} phases (median s after its first line): "
                + ", ".join(f"{n} {m:.2f}" for n, m in zip(names, phases, strict=True))
            )
        for key, goal in (("everyday", True), ("cold", False)):
            ratio = median[key] / median["bare"]
            verdict = "ok" if ratio <= GOAL_RATIO else "OVER the goal"
            which = "the goal's figure" if goal else "for reference"
            print(f"  {key} ratio: {ratio:.2f} × (goal <= {GOAL_RATIO:.0f} ×, {which}): {verdict}")
        for key in runs:
            print(f"  all runs {key} (s): " + " ".join(f"{t:.2f}" for t, _, _ in runs[key]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
