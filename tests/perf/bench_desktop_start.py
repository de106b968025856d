"""Benchmark: from process start to an interactive dashboard, beside a bare PySide6 window.

Run it by hand (it is not collected by pytest)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/perf/bench_desktop_start.py [--runs 5]
    xvfb-run -a .venv/bin/python tests/perf/bench_desktop_start.py   # a real X server

The small demo is built once in a temporary folder. Then, in turns, ``--runs`` times each:

* **bare** — a child process that imports PySide6, shows a QMainWindow with one label and
  paints it;
* **dabiao** — a child process that opens the desktop program the way ``dabiao --db`` does
  (:class:`desktop.app.DesktopSession`: the file opened and migrated, the embedded server
  started on 127.0.0.1 without mDNS, the main window shown) and waits until the dashboard has
  drawn its figures (the first refresh delivered and painted, nothing pending).

Each child prints ``ready`` when it got there; the parent measures the wall time from spawning
it to reading that line (interpreter start and imports included) and its peak memory from
``os.wait4`` (``ru_maxrss``). Printed: the medians, the ratio (goal: dabiao <= 3 × bare) and
the peak memory of each.
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


def child_dabiao(path: Path) -> None:
    """The desktop program on ``path``: open, serve, show, dashboard drawn, say ready.

    The ready line carries the phases (seconds since the child's first line of Python):
    imports done, file open, window shown, dashboard drawn.
    """
    started = time.perf_counter()
    os.environ["XDG_CONFIG_HOME"] = str(path.parent / "config")
    from desktop.app import DesktopSession, make_application
    from desktop.config import DesktopConfig
    from shared.db import open_database

    phases = [time.perf_counter()]
    app = make_application()
    db = open_database(path, create=False)
    phases.append(time.perf_counter())
    session = DesktopSession(db, config=DesktopConfig.load(), host="127.0.0.1", port=0, mdns=False)
    session.show()
    app.processEvents()
    phases.append(time.perf_counter())
    page = session.window.page("dashboard")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        app.processEvents()
        drawn = getattr(page, "figures", None) is not None
        if drawn and session.bridge.running and not session.ctx.ops.pending:
            break
        time.sleep(0.002)
    else:
        raise SystemExit("the dashboard did not draw within a minute")
    session.window.repaint()
    app.processEvents()
    phases.append(time.perf_counter())
    print("ready", *(f"{t - started:.3f}" for t in phases), flush=True)
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
    child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if line != "ready" or child.returncode != 0:
        raise SystemExit(f"child {args} failed (exit {child.returncode}, said {line!r})")
    return elapsed, usage.ru_maxrss, [float(p) for p in phases]


def main() -> int:
    parser = argparse.ArgumentParser(description="desktop start-up benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", choices=["bare", "dabiao"])
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child == "bare":
        child_bare()
        return 0
    if args.child == "dabiao":
        child_dabiao(args.db)
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
        bare: list[tuple[float, int, list[float]]] = []
        dabiao: list[tuple[float, int, list[float]]] = []
        for run in range(args.runs):
            bare.append(measure(["--child", "bare"]))
            copy = work / f"run{run}" / "campus.dabiao"
            copy.parent.mkdir()
            shutil.copyfile(template, copy)
            dabiao.append(measure(["--child", "dabiao", "--db", str(copy)]))
        platform = os.environ.get("QT_QPA_PLATFORM") or "xcb (DISPLAY)"
        bare_s = statistics.median(t for t, _, _ in bare)
        dabiao_s = statistics.median(t for t, _, _ in dabiao)
        ratio = dabiao_s / bare_s
        print(f"platform: {platform}; runs: {args.runs} each, in turns; median wall time")
        bare_mib = max(m for _, m, _ in bare) / 1024
        dabiao_mib = max(m for _, m, _ in dabiao) / 1024
        print(f"  bare PySide6 window:     {bare_s * 1000:6.0f} ms  peak RSS {bare_mib:6.1f} MiB")
        print(
            f"  dabiao, dashboard drawn: {dabiao_s * 1000:6.0f} ms  peak RSS {dabiao_mib:6.1f} MiB"
        )
        names = ("imports", "file open", "window shown", "dashboard drawn")
        medians = [statistics.median(p[i] for _, _, p in dabiao) for i in range(len(names))]
        print(
            "  dabiao phases (median s after its first line): "
            + ", ".join(f"{n} {m:.2f}" for n, m in zip(names, medians, strict=True))
        )
        verdict = "ok" if ratio <= GOAL_RATIO else "OVER the goal"
        print(f"  ratio: {ratio:.2f} × (goal <= {GOAL_RATIO:.0f} ×): {verdict}")
        print(
            "  all runs (s): bare "
            + " ".join(f"{t:.2f}" for t, _, _ in bare)
            + " | dabiao "
            + " ".join(f"{t:.2f}" for t, _, _ in dabiao)
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
