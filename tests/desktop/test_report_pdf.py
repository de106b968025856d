"""The monthly report as a PDF: its text (pdftotext), pages (pdfinfo) and fonts (pdffonts)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.render.report_pdf import report_pdf_bytes, write_report_pdf
from desktop.widgets.format import percent, yuan
from shared.db import Database, open_database
from shared.errors import StorageUnavailable
from shared.models import Campus
from shared.monthly_report import MonthlyReport, monthly_report
from shared.periods import Period

from .conftest import DEMO_TODAY

MAY = Period.of_month(2025, 5)
NOW = datetime(2025, 6, 18, 2, 0, tzinfo=UTC)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def demo_db(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("report") / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    db = open_database(path, create=False)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="module")
def campus_report(demo_db: Database) -> MonthlyReport:
    with demo_db.reader() as session:
        campus_id = session.scalars(select(Campus.id)).one()
        return monthly_report(session, MAY, campus_id=campus_id, today=DEMO_TODAY, now=NOW)


@pytest.fixture(scope="module")
def campus_pdf(
    qapp: object, campus_report: MonthlyReport, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_report_pdf(campus_report, path)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / "monthly-report-campus.pdf")
    return path


def _text(path: Path) -> str:
    return _run("pdftotext", "-layout", str(path), "-")


def test_pdf_is_a4_with_several_numbered_pages(campus_pdf: Path) -> None:
    info = _run("pdfinfo", str(campus_pdf))
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    assert pages >= 3
    assert re.search(r"Page size:\s+595(\.\d+)? x 842", info), info
    text = re.sub(r"\s+", "", _text(campus_pdf))
    assert f"第1页/共{pages}页" in text
    assert f"第{pages}页/共{pages}页" in text


def test_pdf_embeds_the_cjk_font(campus_pdf: Path) -> None:
    fonts = _run("pdffonts", str(campus_pdf)).splitlines()[2:]
    assert fonts
    for line in fonts:
        assert " yes " in line  # embedded, with a Unicode map
        assert line.split()[-4:-2] != ["no", "no"]


def test_pdf_headline_figures_are_the_engines(
    campus_pdf: Path, campus_report: MonthlyReport
) -> None:
    text = _text(campus_pdf)
    c = campus_report.campus
    assert c is not None
    assert campus_report.title in text
    assert "统计截至 2025-05-31" in text and "生成于 2025-06-18 10:00" in text
    for section in (c.revenue, c.consumption):
        m, ytd = section.month, section.year_to_date
        row = re.search(rf"{section.name}\s+本月\s+(.*)", text)
        assert row is not None, section.name
        assert row[1].split()[:3] == [yuan(m.target_fen), yuan(m.actual_fen), percent(m.attainment)]
        row = re.search(rf"{section.name}\s+年累计\s+(.*)", text)
        assert row is not None
        assert row[1].split()[:3] == [
            yuan(ytd.target_fen),
            yuan(ytd.actual_fen),
            percent(ytd.attainment),
        ]
    top = c.revenue_ranking[0]
    assert re.search(rf"1\s+{top.staff_name}\s+{re.escape(yuan(top.amount_fen))}", text)
    weak = c.weak_stage.weak
    assert weak is not None
    assert f"薄弱环节：{weak.from_name}→{weak.to_name}" in text
    held = c.trials.current.counts
    assert re.search(rf"本月（2025年5月）\s+{held.trials}\s+{held.held}\s", text)
    assert yuan(c.students.consumed_fen) in text


def test_all_campuses_pdf_lists_campuses_and_total(qapp: object, demo_db: Database) -> None:
    with demo_db.reader() as session:
        report = monthly_report(session, MAY, campus_id=None, today=DEMO_TODAY, now=NOW)
    everything = report.all_campuses
    assert everything is not None
    data = report_pdf_bytes(report)
    path = ARTIFACTS / "monthly-report-all.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    path.write_bytes(data)
    text = _text(path)
    assert "全部校区 2025年5月 业绩报告" in text
    total = everything.campuses[-1].row
    assert re.search(
        rf"合计\s+{re.escape(yuan(total.revenue.target_fen))}\s+"
        rf"{re.escape(yuan(total.revenue.actual_fen))}",
        text,
    )
    assert everything.campuses[0].row.campus_name in text


def test_writing_into_a_missing_folder_is_refused_and_leaves_nothing(
    qapp: object, campus_report: MonthlyReport, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "report.pdf"
    with pytest.raises(StorageUnavailable, match="无法写入"):
        write_report_pdf(campus_report, target)
    assert not (tmp_path / "missing").exists()


def test_chart_names_drop_what_every_campus_name_begins_with() -> None:
    from desktop.render.report_pdf import short_names

    assert short_names(["达标艺术中心·滨江校区", "达标艺术中心·西湖校区"]) == [
        "滨江校区",
        "西湖校区",
    ]
    assert short_names(["滨江校区", "滨湖校区"]) == ["滨江校区", "滨湖校区"]  # no separator
    assert short_names(["达标艺术中心·滨江校区"]) == ["达标艺术中心·滨江校区"]
