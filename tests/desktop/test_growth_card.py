"""The growth card PNG: phone-sized, drawn in a font that has the Chinese glyphs it shows."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QFontMetrics, QImage
from sqlalchemy import func, select

from desktop.render.card import HEIGHT, WIDTH, growth_card_image, growth_card_png
from desktop.render.fonts import CJK_FAMILIES, cjk_family, font
from shared.db import open_database
from shared.growth_card import WINDOW_DAYS, GrowthCardData, growth_card
from shared.models import GrowthRecord

from .conftest import DEMO_TODAY

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def card(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> GrowthCardData:
    path = tmp_path_factory.mktemp("card") / "campus.dabiao"
    shutil.copyfile(demo_template, path)
    db = open_database(path, create=False)
    try:
        with db.reader() as session:
            student_id = session.scalar(
                select(GrowthRecord.student_id)
                .where(GrowthRecord.recorded_on > DEMO_TODAY - timedelta(days=WINDOW_DAYS))
                .group_by(GrowthRecord.student_id)
                .order_by(func.count().desc(), GrowthRecord.student_id)
                .limit(1)
            )
            return growth_card(session, student_id, today=DEMO_TODAY)
    finally:
        db.close()


def test_card_is_a_phone_sized_png(qapp: object, card: GrowthCardData) -> None:
    data = growth_card_png(card)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage.fromData(data, "PNG")
    assert (image.width(), image.height()) == (WIDTH, HEIGHT) == (1080, 1920)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "growth-card.png").write_bytes(data)


def test_the_chosen_font_has_every_chinese_glyph_on_the_card(
    qapp: object, card: GrowthCardData
) -> None:
    family = cjk_family()
    assert family in CJK_FAMILIES  # fonts-wqy-microhei here, Microsoft YaHei on Windows
    shown = card.student_name + card.campus_name + "成长卡片课堂表现评分老师寄语上课次数剩余课时"
    shown += "".join(r.name for r in card.ratings) + "".join(e.comment for e in card.recent)
    metrics = QFontMetrics(font(12))
    missing = [ch for ch in set(shown) if ord(ch) > 0x2E80 and not metrics.inFontUcs4(ord(ch))]
    assert missing == []


def test_card_draws_the_header_and_the_rating_bars(qapp: object, card: GrowthCardData) -> None:
    image = growth_card_image(card)
    # The blue header band, and text drawn over it in white.
    assert QColor(image.pixel(5, 5)).blue() > 150
    header = {image.pixel(x, y) for x in range(64, 700, 3) for y in range(150, 260, 3)}
    assert QColor(0xFFFFFFFF).rgb() in header
    # Below the header the page is not blank.
    body = {image.pixel(x, y) for x in range(64, 1016, 8) for y in range(900, 1400, 8)}
    assert len(body) > 20


def test_a_card_without_records_still_renders(qapp: object, card: GrowthCardData) -> None:
    from dataclasses import replace

    empty = replace(
        card,
        records=0,
        recent=(),
        ratings=tuple(replace(r, average=None, previous_average=None) for r in card.ratings),
    )
    image = growth_card_image(empty)
    assert image.width() == WIDTH
