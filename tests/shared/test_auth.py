"""Auth: PIN login and its lockout, pairing tokens, device tokens, revocation, hashing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.auth import (
    BAD_LOGIN,
    BAD_PAIRING,
    Principal,
    authenticate,
    authenticate_request,
    create_pairing_token,
    list_devices,
    login_candidates,
    login_with_pin,
    pin_login,
    redeem_pairing_token,
    revoke_device,
    token_hash,
)
from shared.db import Database, open_database
from shared.errors import Invalid, NotFound, TooManyAttempts, Unauthorized
from shared.models import Staff
from shared.sync_models import Device, PairingToken, PinLockout
from tests.shared.factories import TEST_PIN, Campus1, make_campus
from tests.shared.test_actuals import UNKNOWN, new_staff

NOW = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)
WRONG = "1357"


@pytest.fixture
def campus(db: Database) -> Campus1:
    """The hand-made campus (all PINs are TEST_PIN)."""
    with db.unit_of_work() as s:
        return make_campus(s)


def login(db: Database, staff_id: str, pin: str, now: datetime = NOW, name: str = "Chrome"):
    """A PIN login through the edge's call."""
    return pin_login(db, staff_id=staff_id, pin=pin, device_name=name, now=now)


def failed_count(db: Database, staff_id: str) -> int:
    """The stored count of consecutive wrong PINs."""
    with db.reader() as s:
        row = s.get(PinLockout, staff_id)
        return 0 if row is None else row.failed_count


# --------------------------------------------------------------------------- PIN login


def test_pin_login_issues_a_token_for_a_new_device(db: Database, campus: Campus1) -> None:
    issued = login(db, campus.consultant_id, TEST_PIN, name="  Safari   on iPhone ")
    assert issued.principal == Principal(
        campus.consultant_id, campus.campus_id, "李顾问", ("consultant",), issued.device_id
    )
    with db.unit_of_work() as s:
        assert authenticate(s, issued.token, now=NOW) == issued.principal
        (device,) = list_devices(s, staff_id=campus.consultant_id)
    assert device.device_id == issued.device_id
    assert device.name == "Safari on iPhone"
    assert device.created_at == NOW
    assert device.revoked_at is None


def test_device_names_are_cut_to_fit_and_never_empty(db: Database, campus: Campus1) -> None:
    long = login(db, campus.teacher_id, TEST_PIN, name="x" * 300)
    empty = login(db, campus.teacher_id, TEST_PIN, name="   ")
    with db.reader() as s:
        names = {d.device_id: d.name for d in list_devices(s)}
    assert names[long.device_id] == "x" * 80
    assert names[empty.device_id] == "未命名设备"


@pytest.mark.parametrize("who", ["wrong_pin", "unknown", "malformed", "inactive", "deleted"])
def test_every_failed_login_gets_the_same_message(db: Database, campus: Campus1, who: str) -> None:
    with db.unit_of_work() as s:
        gone = new_staff(s, campus.campus_id, "离职老师", "teacher")
        s.get(Staff, gone).is_deleted = True  # type: ignore[union-attr]
        idle = new_staff(s, campus.campus_id, "停用老师", "teacher", active=False)
    staff_id, pin = {
        "wrong_pin": (campus.teacher_id, WRONG),
        "unknown": (UNKNOWN, TEST_PIN),
        "malformed": ("robert'); drop table staff", TEST_PIN),
        "inactive": (idle, TEST_PIN),
        "deleted": (gone, TEST_PIN),
    }[who]
    with pytest.raises(Unauthorized) as err:
        login(db, staff_id, pin)
    assert err.value.message == BAD_LOGIN == "员工或 PIN 不正确"


def test_five_wrong_pins_lock_pin_login_for_fifteen_minutes(db: Database, campus: Campus1) -> None:
    for i in range(4):
        with pytest.raises(Unauthorized):
            login(db, campus.consultant_id, WRONG, NOW + timedelta(minutes=i))
    with pytest.raises(TooManyAttempts) as fifth:
        login(db, campus.consultant_id, WRONG, NOW + timedelta(minutes=4))
    assert fifth.value.retry_after_seconds == 900
    assert fifth.value.message == "PIN 错误次数过多，请 15 分钟后再试"
    # Locked at 08:04 until 08:19: even the right PIN is refused, and says how long to wait.
    with pytest.raises(TooManyAttempts) as locked:
        login(db, campus.consultant_id, TEST_PIN, NOW + timedelta(minutes=18, seconds=59))
    assert locked.value.retry_after_seconds == 1
    assert failed_count(db, campus.consultant_id) == 5
    # Other people are not affected.
    assert login(db, campus.teacher_id, TEST_PIN).principal.staff_id == campus.teacher_id


def test_the_right_pin_after_the_lock_expires_resets_the_count(
    db: Database, campus: Campus1
) -> None:
    for i in range(5):
        with pytest.raises((Unauthorized, TooManyAttempts)):
            login(db, campus.consultant_id, WRONG, NOW + timedelta(seconds=i))
    unlocked = NOW + timedelta(seconds=4) + timedelta(minutes=15)
    assert login(db, campus.consultant_id, TEST_PIN, unlocked).principal.name == "李顾问"
    assert failed_count(db, campus.consultant_id) == 0
    with db.reader() as s:
        row = s.get(PinLockout, campus.consultant_id)
        assert row is not None and row.locked_until is None


def test_a_right_pin_resets_the_count_before_any_lock(db: Database, campus: Campus1) -> None:
    for _ in range(4):
        with pytest.raises(Unauthorized):
            login(db, campus.consultant_id, WRONG)
    login(db, campus.consultant_id, TEST_PIN)
    for _ in range(4):
        with pytest.raises(Unauthorized):  # four more: still not locked
            login(db, campus.consultant_id, WRONG)
    assert failed_count(db, campus.consultant_id) == 4


def test_wrong_pins_more_than_fifteen_minutes_apart_start_a_new_count(
    db: Database, campus: Campus1
) -> None:
    for i in range(8):
        with pytest.raises(Unauthorized):
            login(db, campus.consultant_id, WRONG, NOW + timedelta(minutes=15 * i))
    assert failed_count(db, campus.consultant_id) == 1


def test_the_lockout_survives_closing_the_database(db_path: Path, campus: Campus1) -> None:
    first = open_database(db_path)
    try:
        for i in range(5):
            with pytest.raises((Unauthorized, TooManyAttempts)):
                login(first, campus.consultant_id, WRONG, NOW + timedelta(seconds=i))
    finally:
        first.close()
    second = open_database(db_path)
    try:
        with pytest.raises(TooManyAttempts):
            login(second, campus.consultant_id, TEST_PIN, NOW + timedelta(minutes=10))
    finally:
        second.close()


def test_login_with_pin_records_the_failure_before_raising(db: Database, campus: Campus1) -> None:
    # The contract pin_login relies on: the caller's session holds the count when it raises.
    with db.unit_of_work() as s:
        with pytest.raises(Unauthorized):
            login_with_pin(s, staff_id=campus.consultant_id, pin=WRONG, device_name="x", now=NOW)
        lockout = s.get(PinLockout, campus.consultant_id)
        assert lockout is not None and lockout.failed_count == 1
    assert failed_count(db, campus.consultant_id) == 1


def test_now_must_be_timezone_aware(db: Database, campus: Campus1) -> None:
    with pytest.raises(ValueError):
        login(db, campus.consultant_id, TEST_PIN, datetime(2026, 3, 11, 8))


# --------------------------------------------------------------------------- pairing


def pair(db: Database, staff_id: str, now: datetime = NOW) -> str:
    """A new pairing token for the person, committed."""
    with db.unit_of_work() as s:
        ticket = create_pairing_token(s, staff_id=staff_id, now=now)
    assert ticket.expires_at == now + timedelta(minutes=10)
    return ticket.token


def redeem(db: Database, token: str, now: datetime = NOW):
    """Redeem a pairing token in its own unit of work."""
    with db.unit_of_work() as s:
        return redeem_pairing_token(s, token=token, device_name="iPhone", now=now)


def test_redeeming_a_pairing_token_gives_a_device_that_authenticates(
    db: Database, campus: Campus1
) -> None:
    token = pair(db, campus.teacher_id)
    issued = redeem(db, token, NOW + timedelta(minutes=9, seconds=59))
    assert issued.principal.staff_id == campus.teacher_id
    assert issued.principal.roles == ("teacher",)
    with db.unit_of_work() as s:
        assert authenticate(s, issued.token, now=NOW).device_id == issued.device_id
        ticket = s.scalars(select(PairingToken)).one()
        assert ticket.used_at == NOW + timedelta(minutes=9, seconds=59)
        assert ticket.device_id == issued.device_id


def test_a_pairing_token_is_used_once(db: Database, campus: Campus1) -> None:
    token = pair(db, campus.teacher_id)
    redeem(db, token)
    with pytest.raises(Unauthorized) as err:
        redeem(db, token)
    assert err.value.message == BAD_PAIRING


def test_a_pairing_token_expires_after_ten_minutes(db: Database, campus: Campus1) -> None:
    token = pair(db, campus.teacher_id)
    with pytest.raises(Unauthorized, match=BAD_PAIRING):
        redeem(db, token, NOW + timedelta(minutes=10))


@pytest.mark.parametrize("token", ["", "not-a-token", None])
def test_an_unknown_pairing_token_is_refused(db: Database, campus: Campus1, token: str) -> None:
    pair(db, campus.teacher_id)
    with pytest.raises(Unauthorized, match=BAD_PAIRING):
        redeem(db, token)


def test_a_pairing_token_of_someone_deactivated_since_is_refused(
    db: Database, campus: Campus1
) -> None:
    token = pair(db, campus.teacher_id)
    with db.unit_of_work() as s:
        s.get(Staff, campus.teacher_id).active = False  # type: ignore[union-attr]
    with pytest.raises(Unauthorized, match=BAD_PAIRING):
        redeem(db, token)


def test_pairing_needs_a_live_active_person(db: Database, campus: Campus1) -> None:
    with db.unit_of_work() as s:
        idle = new_staff(s, campus.campus_id, "停用老师", "teacher", active=False)
    with db.unit_of_work() as s:
        with pytest.raises(Invalid, match="^staff_id: "):
            create_pairing_token(s, staff_id=idle, now=NOW)
        with pytest.raises(NotFound, match="^staff_id: "):
            create_pairing_token(s, staff_id=UNKNOWN, now=NOW)
        with pytest.raises(Invalid, match="^ttl: "):
            create_pairing_token(s, staff_id=campus.teacher_id, now=NOW, ttl=timedelta(0))


def test_old_unused_pairing_tokens_are_purged(db: Database, campus: Campus1) -> None:
    pair(db, campus.teacher_id, NOW)
    used = pair(db, campus.teacher_id, NOW)
    redeem(db, used)
    pair(db, campus.teacher_id, NOW + timedelta(days=2))
    with db.reader() as s:
        # The expired unused one went; the used one stays as the record of its device.
        assert len(s.scalars(select(PairingToken)).all()) == 2


# --------------------------------------------------------------------------- tokens


def test_an_unknown_token_is_unauthorized(db: Database, campus: Campus1) -> None:
    login(db, campus.teacher_id, TEST_PIN)
    with db.unit_of_work() as s:
        for token in ("", "nope", None):
            with pytest.raises(Unauthorized, match="^登录已失效，请重新登录$"):
                authenticate(s, token, now=NOW)  # type: ignore[arg-type]


def test_a_revoked_device_is_unauthorized(db: Database, campus: Campus1) -> None:
    kept = login(db, campus.teacher_id, TEST_PIN)
    gone = login(db, campus.teacher_id, TEST_PIN)
    later = NOW + timedelta(hours=1)
    with db.unit_of_work() as s:
        revoke_device(s, device_id=gone.device_id, now=later)
        revoke_device(s, device_id=gone.device_id, now=later + timedelta(hours=1))
    with pytest.raises(Unauthorized):
        authenticate_request(db, gone.token, now=later)
    assert authenticate_request(db, kept.token, now=later).device_id == kept.device_id
    with db.reader() as s:
        revoked = {d.device_id: d.revoked_at for d in list_devices(s, campus_id=campus.campus_id)}
    assert revoked == {kept.device_id: None, gone.device_id: later}


def test_revoking_an_unknown_device_is_not_found(db: Database, campus: Campus1) -> None:
    with db.unit_of_work() as s, pytest.raises(NotFound, match="^device_id: "):
        revoke_device(s, device_id=UNKNOWN, now=NOW)


@pytest.mark.parametrize("change", ["inactive", "deleted"])
def test_a_token_of_someone_deactivated_or_deleted_is_unauthorized(
    db: Database, campus: Campus1, change: str
) -> None:
    issued = login(db, campus.teacher_id, TEST_PIN)
    with db.unit_of_work() as s:
        staff = s.get(Staff, campus.teacher_id)
        assert staff is not None
        if change == "inactive":
            staff.active = False
        else:
            staff.is_deleted = True
    with pytest.raises(Unauthorized):
        authenticate_request(db, issued.token, now=NOW)


def last_seen(db: Database, device_id: str) -> datetime | None:
    """A device's stored last-seen instant."""
    with db.reader() as s:
        device = s.get(Device, device_id)
        assert device is not None
        return device.last_seen_at


def test_last_seen_is_stamped_at_most_once_a_minute(db: Database, campus: Campus1) -> None:
    issued = login(db, campus.teacher_id, TEST_PIN)
    assert last_seen(db, issued.device_id) == NOW
    with db.unit_of_work() as s:
        authenticate(s, issued.token, now=NOW + timedelta(seconds=59))
    assert last_seen(db, issued.device_id) == NOW
    with db.unit_of_work() as s:
        authenticate(s, issued.token, now=NOW + timedelta(seconds=60))
    assert last_seen(db, issued.device_id) == NOW + timedelta(seconds=60)
    authenticate_request(db, issued.token, now=NOW + timedelta(seconds=90))
    assert last_seen(db, issued.device_id) == NOW + timedelta(seconds=60)
    authenticate_request(db, issued.token, now=NOW + timedelta(seconds=125))
    assert last_seen(db, issued.device_id) == NOW + timedelta(seconds=125)


def test_tokens_are_stored_only_as_hashes(db: Database, db_path: Path, campus: Campus1) -> None:
    issued = login(db, campus.consultant_id, TEST_PIN)
    pairing = pair(db, campus.teacher_id)
    paired = redeem(db, pairing)
    unused = pair(db, campus.manager_id)
    db.close()  # checkpoint: everything is in the one file
    data = db_path.read_bytes()
    for token in (issued.token, pairing, paired.token, unused):
        assert token.encode() not in data
        assert token_hash(token).encode() in data


# --------------------------------------------------------------------------- login screen


def test_login_candidates_are_the_active_staff(db: Database, campus: Campus1) -> None:
    with db.unit_of_work() as s:
        new_staff(s, campus.campus_id, "停用老师", "teacher", active=False)
        both = new_staff(s, campus.campus_id, "钱老师", "consultant", "teacher")
    with db.reader() as s:
        candidates = login_candidates(s)
    assert [(c.name, c.roles) for c in candidates] == [
        ("李顾问", ["consultant"]),
        ("王校长", ["manager"]),
        ("赵老师", ["teacher"]),
        ("钱老师", ["consultant", "teacher"]),
    ]
    assert candidates[3].staff_id == both
    assert {c.campus_name for c in candidates} == {"测试校区T1"}
    assert "pin_hash" not in candidates[0].model_dump_json()
