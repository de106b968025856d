"""Campus settings the 设置 page edits: details, the stage list, the day-weight profile.

Each function takes the caller's session (one unit of work per user action), validates with
the same rules whichever edge calls it, and raises ``Invalid`` naming the field with a reason
in Chinese.

Stage list rules, decided here once:
* stages are never deleted (their activities and targets refer to them): a stage the campus
  no longer uses is deactivated, and disappears from the funnel, the targets and the phone;
* the list is saved whole, in the order given: every existing stage of the campus appears
  exactly once, new stages (``id`` None) are added with a generated code;
* names are required, at most 40 characters, and unique within the campus (the funnel and
  the phone list stages by name).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..day_weights import DayType, DayWeightProfile
from ..errors import Conflict, Invalid
from ..models import DEFAULT_STAGE_NAMES, Campus, Stage
from .common import check_text, get_live

STAGE_NAME_MAX = 40
MAX_VACATIONS = 12


@dataclass(frozen=True, slots=True)
class CampusDetails:
    """A campus's name, code, address and phone, as the settings form shows them."""

    id: str
    name: str
    code: str
    address: str
    phone: str


@dataclass(frozen=True, slots=True)
class StageRow:
    """One stage of the campus's list."""

    id: str
    code: str
    name: str
    sort_order: int
    active: bool
    is_default: bool  # one of the seven built-in stages (its code drives the funnel rules)


@dataclass(frozen=True, slots=True)
class StageEdit:
    """One row of a stage list being saved; ``id`` None adds a new stage."""

    id: str | None
    name: str
    active: bool = True


def _details(campus: Campus) -> CampusDetails:
    return CampusDetails(campus.id, campus.name, campus.code, campus.address, campus.phone)


def campus_details(session: Session, campus_id: str) -> CampusDetails:
    """The campus's details."""
    return _details(get_live(session, Campus, campus_id, "campus_id"))


def edit_campus(
    session: Session, campus_id: str, *, name: str, code: str, address: str, phone: str
) -> CampusDetails:
    """Change a campus's name, code, address and phone (code unique across the file)."""
    campus = get_live(session, Campus, campus_id, "campus_id")
    name = check_text(name, "name", max_len=100, required=True)
    code = check_text(code, "code", max_len=20, required=True)
    address = check_text(address, "address", max_len=200)
    phone = check_text(phone, "phone", max_len=40)
    taken = session.scalar(select(Campus.id).where(Campus.code == code, Campus.id != campus.id))
    if taken is not None:
        raise Conflict(f"code: 校区编号 {code} 已被其他校区使用")
    campus.name, campus.code, campus.address, campus.phone = name, code, address, phone
    session.flush()
    return _details(campus)


def _stage_row(stage: Stage) -> StageRow:
    return StageRow(
        stage.id,
        stage.code,
        stage.name,
        stage.sort_order,
        stage.active,
        stage.code in DEFAULT_STAGE_NAMES,
    )


def _stages(session: Session, campus_id: str) -> list[Stage]:
    return list(
        session.scalars(
            select(Stage)
            .where(Stage.campus_id == campus_id, Stage.is_deleted.is_(False))
            .order_by(Stage.sort_order, Stage.code)
        )
    )


def list_stages(session: Session, campus_id: str) -> list[StageRow]:
    """Every stage of the campus, active or not, in its order."""
    campus = get_live(session, Campus, campus_id, "campus_id")
    return [_stage_row(s) for s in _stages(session, campus.id)]


def save_stage_list(
    session: Session, campus_id: str, stages: Sequence[StageEdit]
) -> list[StageRow]:
    """Save the whole stage list: names, on/off, order, new stages (see the module rules)."""
    campus = get_live(session, Campus, campus_id, "campus_id")
    existing = {s.id: s for s in _stages(session, campus.id)}
    given = [e.id for e in stages if e.id is not None]
    if len(set(given)) != len(given):
        raise Invalid("stages", "同一个环节出现了两次")
    unknown = set(given) - set(existing)
    if unknown:
        raise Invalid("stages", "列表里有不属于本校区的环节，请刷新后重试")
    missing = set(existing) - set(given)
    if missing:
        names = "、".join(existing[i].name for i in missing)
        raise Invalid("stages", f"环节不能删除（{names}），不再使用请停用")
    names: set[str] = set()
    cleaned = []
    for i, edit in enumerate(stages):
        name = check_text(edit.name, f"stages[{i}].name", max_len=STAGE_NAME_MAX, required=True)
        if name in names:
            raise Invalid(f"stages[{i}].name", f"环节名称“{name}”重复")
        names.add(name)
        cleaned.append((edit, name))
    if not any(edit.active for edit, _name in cleaned):
        raise Invalid("stages", "至少要保留一个启用的环节")
    codes = {s.code for s in existing.values()}
    for order, (edit, name) in enumerate(cleaned):
        if edit.id is None:
            code = _new_code(codes)
            codes.add(code)
            session.add(
                Stage(
                    campus_id=campus.id,
                    code=code,
                    name=name,
                    sort_order=order,
                    active=bool(edit.active),
                )
            )
            continue
        stage = existing[edit.id]
        # Only touch changed fields: every write bumps the row's version and phones pull it.
        if (stage.name, stage.sort_order, stage.active) != (name, order, bool(edit.active)):
            stage.name, stage.sort_order, stage.active = name, order, bool(edit.active)
    session.flush()
    return [_stage_row(s) for s in _stages(session, campus.id)]


def _new_code(taken: set[str]) -> str:
    while True:
        code = f"custom_{uuid.uuid4().hex[:8]}"
        if code not in taken:
            return code


def day_weight_profile(session: Session, campus_id: str) -> DayWeightProfile:
    """The campus's day-weight profile (defaults where it was never edited)."""
    campus = get_live(session, Campus, campus_id, "campus_id")
    return DayWeightProfile.from_settings(campus.settings)


def save_day_weights(
    session: Session,
    campus_id: str,
    weights: Mapping[str, int],
    vacations: Sequence[tuple[str, str]],
) -> DayWeightProfile:
    """Validate and store the day weights and vacation ranges (pace uses them at once).

    Targets already decomposed keep their amounts; the next decomposition uses the new
    profile.
    """
    campus = get_live(session, Campus, campus_id, "campus_id")
    parsed: dict[DayType, int] = {}
    for key, value in weights.items():
        try:
            parsed[DayType(key)] = value
        except ValueError:
            raise Invalid(f"day_weights.{key}", "未知的日期类型") from None
    if set(parsed) != set(DayType):
        raise Invalid("day_weights", "四种日期类型的权重都要填写")
    if len(vacations) > MAX_VACATIONS:
        raise Invalid("vacations", f"假期最多 {MAX_VACATIONS} 段")
    profile = DayWeightProfile(
        weights=parsed, vacations=tuple((str(a).strip(), str(b).strip()) for a, b in vacations)
    )
    settings = dict(campus.settings or {})
    settings["day_weights"] = profile.to_settings()
    campus.settings = settings  # a new dict: the JSON column sees the change
    session.flush()
    return profile
