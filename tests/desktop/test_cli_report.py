"""``dabiao report`` and ``dabiao card``: real processes on a copy of the small demo."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop import cli
from tests.storage_support import read_only, run_cli


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def demo_copy(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-report") / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    return path


# Without a display the command must pick the offscreen platform by itself.
HEADLESS = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")


def _headless_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in HEADLESS}


def _run_headless(*args: str) -> subprocess.CompletedProcess[str]:
    import sys

    from tests.storage_support import REPO_ROOT

    return subprocess.run(
        [sys.executable, "-m", "desktop.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_headless_env(),
    )


def test_report_writes_the_pdf_and_shows_progress(demo_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "五月报告.pdf"
    result = _run_headless(
        "report", "--db", str(demo_copy), "--month", "2025-05", "--to", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert "已生成" in result.stdout and "2025年5月 业绩报告" in result.stdout
    assert re.search(r"\[\s*\d+%\] .*排行", result.stderr)
    assert "[100%]" in result.stderr
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "营业额与划课收入达成" in text
    assert not (tmp_path / "五月报告.pdf.partial").exists()


def test_report_of_all_campuses(demo_copy: Path, tmp_path: Path) -> None:
    target = tmp_path / "all.pdf"
    result = run_cli(
        "report",
        "--db",
        str(demo_copy),
        "--month",
        "2025-05",
        "--all-campuses",
        "--to",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    assert "全部校区 2025年5月 业绩报告" in result.stdout
    assert target.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--month", "2025-13"], ["month", "1 到 12"]),
        (["--month", "May"], ["YYYY-MM"]),
        (["--month", "2099-01"], ["还没有开始"]),
        (["--campus", "火星校区"], ["火星校区", "没有"]),
    ],
)
def test_report_refuses_bad_input_with_one_line(
    qapp: object,
    demo_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    words: list[str],
) -> None:
    # In-process (the real process's one-line error is proven below): main() as the CLI runs.
    target = tmp_path / "r.pdf"
    code = cli.main(["report", "--db", str(demo_copy), *args, "--to", str(target)])
    err = capsys.readouterr().err
    assert code == 1
    assert_one_line_error(subprocess.CompletedProcess([], 1, "", err), *words)
    assert not target.exists()


def test_report_refuses_an_unwritable_target(demo_copy: Path, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    result = run_cli("report", "--db", str(demo_copy), "--to", str(tmp_path / "nope" / "r.pdf"))
    assert_one_line_error(result, "不存在")
    result = run_cli("report", "--db", str(demo_copy), "--to", str(tmp_path / "r.txt"))
    assert_one_line_error(result, ".pdf")
    with read_only(folder):
        result = run_cli(
            "report", "--db", str(demo_copy), "--to", str(folder / "r.pdf"), drop_root=True
        )
    assert_one_line_error(result)
    assert list(folder.iterdir()) == []


def test_card_writes_a_phone_sized_png(qapp: object, demo_copy: Path, tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(demo_copy) as conn:
        name = conn.execute(
            "SELECT s.name FROM students s JOIN growth_records g ON g.student_id = s.id"
            " GROUP BY s.id, s.name"
            " HAVING (SELECT COUNT(*) FROM students t WHERE t.name = s.name) = 1"
            " ORDER BY COUNT(*) DESC, s.name LIMIT 1"
        ).fetchone()[0]
    target = tmp_path / "card.png"
    result = _run_headless(
        "card",
        "--db",
        str(demo_copy),
        "--student",
        name,
        "--today",
        "2025-06-18",
        "--to",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    assert name in result.stdout
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1080, 1920)


def test_card_refuses_an_unknown_student(demo_copy: Path, tmp_path: Path) -> None:
    result = run_cli(
        "card", "--db", str(demo_copy), "--student", "查无此人", "--to", str(tmp_path / "c.png")
    )
    assert_one_line_error(result, "查无此人")
    assert not (tmp_path / "c.png").exists()
