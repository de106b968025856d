"""Settings services: campus details, the stage list, the day-weight profile."""

from __future__ import annotations

from datetime import date

import pytest

from shared.day_weights import DayType, DayWeightProfile
from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.models import Campus
from shared.periods import Period
from shared.progress import period_weights
from shared.services.campus import create_campus
from shared.services.settings import (
    StageEdit,
    campus_details,
    day_weight_profile,
    edit_campus,
    list_stages,
    save_day_weights,
    save_stage_list,
)


@pytest.fixture
def campus_id(db: Database) -> str:
    with db.unit_of_work() as session:
        campus = create_campus(session, name="滨江校区", code="001")
        create_campus(session, name="江南校区", code="002")
        return campus.id


def test_campus_details_are_edited_and_validated(db: Database, campus_id: str) -> None:
    with db.unit_of_work() as session:
        edited = edit_campus(
            session,
            campus_id,
            name=" 滨江旗舰校区 ",
            code="001",
            address="江南大道 1 号",
            phone="0571-1",
        )
    assert (edited.name, edited.address) == ("滨江旗舰校区", "江南大道 1 号")
    with db.reader() as session:
        assert campus_details(session, campus_id) == edited
    with pytest.raises(Invalid) as empty, db.unit_of_work() as session:
        edit_campus(session, campus_id, name="  ", code="001", address="", phone="")
    assert empty.value.field == "name"
    with pytest.raises(Conflict, match="已被其他校区使用"), db.unit_of_work() as session:
        edit_campus(session, campus_id, name="滨江", code="002", address="", phone="")


def test_stages_are_renamed_reordered_deactivated_and_added(db: Database, campus_id: str) -> None:
    with db.reader() as session:
        stages = list_stages(session, campus_id)
    assert [s.name for s in stages][:4] == ["邀约", "到访", "试听", "签单"]
    edits = [StageEdit(s.id, s.name, True) for s in reversed(stages)]
    edits[0] = StageEdit(edits[0].id, "家长回访", True)  # was 家长沟通
    edits[1] = StageEdit(edits[1].id, "转介绍", False)
    edits.append(StageEdit(None, "地推", True))
    with db.unit_of_work() as session:
        saved = save_stage_list(session, campus_id, edits)
    assert [s.name for s in saved] == [
        "家长回访",
        "转介绍",
        "续费",
        "签单",
        "试听",
        "到访",
        "邀约",
        "地推",
    ]
    assert [s.active for s in saved][:2] == [True, False]
    assert saved[0].code == "parent_contact" and saved[0].is_default
    assert saved[-1].code.startswith("custom_") and not saved[-1].is_default


def test_a_stage_list_that_drops_a_stage_or_repeats_a_name_is_refused(
    db: Database, campus_id: str
) -> None:
    with db.reader() as session:
        stages = list_stages(session, campus_id)
    with pytest.raises(Invalid, match="不能删除"), db.unit_of_work() as session:
        save_stage_list(session, campus_id, [StageEdit(s.id, s.name) for s in stages[1:]])
    twice = [StageEdit(s.id, s.name) for s in stages] + [StageEdit(None, "邀约")]
    with pytest.raises(Invalid, match="重复"), db.unit_of_work() as session:
        save_stage_list(session, campus_id, twice)
    blank = [StageEdit(s.id, s.name) for s in stages]
    blank[2] = StageEdit(blank[2].id, " ")
    with pytest.raises(Invalid) as err, db.unit_of_work() as session:
        save_stage_list(session, campus_id, blank)
    assert err.value.field == "stages[2].name"
    off = [StageEdit(s.id, s.name, False) for s in stages]
    with pytest.raises(Invalid, match="至少"), db.unit_of_work() as session:
        save_stage_list(session, campus_id, off)
    with db.reader() as session:
        assert list_stages(session, campus_id) == stages


def test_day_weights_are_saved_and_used_by_the_pace(db: Database, campus_id: str) -> None:
    weights = {"school_day": 1, "weekend": 3, "holiday": 0, "vacation": 2}
    with db.unit_of_work() as session:
        save_day_weights(session, campus_id, weights, [("07-01", "08-31")])
    with db.reader() as session:
        profile = day_weight_profile(session, campus_id)
        campus = session.get(Campus, campus_id)
        june = period_weights(campus, Period.of_month(2025, 6))
    assert profile == DayWeightProfile(
        weights={DayType(k): v for k, v in weights.items()}, vacations=(("07-01", "08-31"),)
    )
    assert profile.weight(date(2025, 7, 2)) == 2  # a Wednesday in the new vacation
    assert set(june) <= {0, 1, 3}


def test_bad_day_weights_name_the_field(db: Database, campus_id: str) -> None:
    good = {"school_day": 1, "weekend": 3, "holiday": 0, "vacation": 2}
    with pytest.raises(Invalid) as err, db.unit_of_work() as session:
        save_day_weights(session, campus_id, {**good, "weekend": 101}, [])
    assert err.value.field == "day_weights.weekend"
    with pytest.raises(Invalid) as err, db.unit_of_work() as session:
        save_day_weights(session, campus_id, good, [("7月1日", "08-31")])
    assert err.value.field == "vacations[0].start"
    with pytest.raises(Invalid), db.unit_of_work() as session:
        save_day_weights(session, campus_id, dict.fromkeys(good, 0), [])
