"""``dabiao serve`` as a real process: prints the URL, answers, stops on SIGTERM leaving the
database as one file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "serve", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_url(process: subprocess.Popen[str], timeout: float = 30) -> tuple[str, list[str]]:
    """Read stdout until the first URL line; return it and the lines so far."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.strip().startswith("http://"):
            return line.strip(), lines
    raise AssertionError(f"no URL printed: {lines!r}")


def test_serve_prints_the_url_answers_and_stops_cleanly_on_sigterm(campus_path: Path) -> None:
    process = serve("--db", str(campus_path), "--host", "127.0.0.1", "--port", "0", "--no-mdns")
    try:
        url, lines = read_url(process)
        assert "达标局域网服务已启动" in lines[0]
        with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
            health = json.load(response)
        assert health["status"] == "ok"
        assert health["campuses"] == ["达标艺术中心·滨江校区"]
        assert campus_path.with_name(campus_path.name + "-wal").exists()  # open, in WAL mode
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "已停止" in out
    assert not campus_path.with_name(campus_path.name + "-wal").exists()
    assert not campus_path.with_name(campus_path.name + "-shm").exists()


def test_serve_stops_on_ctrl_c(campus_path: Path) -> None:
    process = serve("--db", str(campus_path), "--host", "127.0.0.1", "--port", "0", "--no-mdns")
    try:
        read_url(process)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert not campus_path.with_name(campus_path.name + "-wal").exists()


def test_serve_refuses_a_missing_file_in_one_line(tmp_path: Path) -> None:
    process = serve("--db", str(tmp_path / "nope.dabiao"), "--port", "0", "--no-mdns")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert err.startswith("错误：") and "不存在" in err
    assert not (tmp_path / "nope.dabiao").exists()
