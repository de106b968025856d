"""Who is calling: PIN login with lockout, pairing by QR code, per-device bearer tokens.

Tokens
    Every token (a device's bearer token, a pairing token) is ``secrets.token_urlsafe(32)``:
    256 random bits. The database keeps only its SHA-256 hex digest (``Device.token_hash``,
    ``PairingToken.token_hash``); the plaintext exists only in the answer to the phone (or in
    the QR code the desktop shows). A fast hash is enough because nothing can be guessed.

Devices
    Both ways in create a :class:`~shared.sync_models.Device`: a paired phone, or a browser
    that logged in with a PIN (named from the request, e.g. the browser's user agent, cut to
    80 characters). Every device is listed on the desktop and can be revoked there; a revoked
    device's token is refused from then on.

PIN login and lockout
    PINs are checked with :func:`shared.pins.verify_pin` (scrypt). A wrong PIN, an unknown or
    malformed staff id, an inactive or deleted person (or one of a deleted campus) all get
    :class:`~shared.errors.Unauthorized` with the same message :data:`BAD_LOGIN`, and an
    unknown person costs the same scrypt work as a known one, so the answer tells nothing about
    who exists. Wrong PINs are counted per person in :class:`~shared.sync_models.PinLockout`:

    * a wrong PIN more than :data:`FAILURE_WINDOW` (15 min) after the previous wrong one starts
      the count again at 1; otherwise it adds 1;
    * the :data:`MAX_FAILED_PINS`-th (5th) consecutive wrong PIN locks PIN login for that person
      for :data:`LOCK_DURATION` (15 min) and is answered with
      :class:`~shared.errors.TooManyAttempts` (with ``retry_after_seconds``);
    * while locked every PIN, even the right one, gets ``TooManyAttempts`` and is not counted;
    * a right PIN outside a lock resets the count (so does the right PIN after a lock expired).

    The count must survive the failed login, which the usual unit of work would roll back.
    :func:`login_with_pin` therefore records the failure in the caller's session (flushed)
    *before* raising, and the caller must commit that session before translating the error.
    :func:`pin_login` does exactly that around its own unit of work; the HTTP edge should call
    it rather than :func:`login_with_pin`.

Pairing
    :func:`create_pairing_token` makes a one-time token for a chosen person, valid for ``ttl``
    (10 minutes by default). :func:`redeem_pairing_token` turns it into a device (marking the
    token used, with the device it made); an unknown, used or expired token, or a person who
    was deactivated meanwhile, is ``Unauthorized`` with one message.

Authentication
    :func:`authenticate` maps a bearer token to a :class:`Principal`: unknown or revoked tokens
    and deactivated or deleted people (or campuses) are ``Unauthorized``. It stamps
    ``Device.last_seen_at`` at most once per :data:`TOUCH_INTERVAL` (a minute) to spare the
    disk a write per request; :func:`authenticate_request` reads in a snapshot and opens a short
    write only when the stamp is due, which is what the edge wants for every request.

Time is always passed in (``now``, timezone-aware), so tests control it.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .db import Database
from .errors import Invalid, NotFound, TooManyAttempts, Unauthorized
from .models import Campus, Role, Staff
from .pins import hash_pin, verify_pin
from .services.common import check_uuid, get_live
from .sync_models import Device, PairingToken, PinLockout

MAX_FAILED_PINS = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
PAIRING_TTL = timedelta(minutes=10)
TOUCH_INTERVAL = timedelta(minutes=1)
# Used pairing tokens are kept (they say which token made which device); unused ones are
# purged this long after they expired.
PAIRING_PURGE_AFTER = timedelta(days=1)
DEVICE_NAME_MAX = 80
DEFAULT_DEVICE_NAME = "未命名设备"

BAD_LOGIN = "员工或 PIN 不正确"
BAD_PAIRING = "配对二维码无效、已使用或已过期，请在电脑上重新生成"
BAD_TOKEN = "登录已失效，请重新登录"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a staff member (and the device they use, if any)."""

    staff_id: str
    campus_id: str
    name: str
    roles: tuple[str, ...]
    device_id: str | None

    def has_role(self, role: str) -> bool:
        """Whether the caller holds ``role`` (a :class:`~shared.models.Role` value)."""
        return str(role) in self.roles

    @property
    def is_manager(self) -> bool:
        """Whether the caller is a manager (校长 / 店长) of their campus."""
        return self.has_role(Role.MANAGER)

    @property
    def is_campus_wide(self) -> bool:
        """Whether the caller sees everything of their campus (manager or front desk)."""
        return self.has_role(Role.MANAGER) or self.has_role(Role.FRONT_DESK)

    @classmethod
    def of_staff(cls, staff: Staff, device_id: str | None = None) -> Principal:
        """The principal of a staff row."""
        return cls(
            staff_id=staff.id,
            campus_id=staff.campus_id,
            name=staff.name,
            roles=tuple(staff.roles),
            device_id=device_id,
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token (plaintext, shown once) and the device it belongs to."""

    token: str
    device_id: str
    principal: Principal


@dataclass(frozen=True)
class PairingTicket:
    """A one-time pairing token for the desktop's QR code (plaintext, shown once)."""

    token: str
    staff_id: str
    expires_at: datetime


@dataclass(frozen=True)
class DeviceInfo:
    """A device as the desktop lists it."""

    device_id: str
    staff_id: str
    staff_name: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


class LoginCandidate(BaseModel):
    """An active staff member on the phone's "pick yourself" login screen."""

    model_config = ConfigDict(frozen=True)

    staff_id: str
    name: str
    campus_id: str
    campus_name: str
    roles: list[str]


# --------------------------------------------------------------------------- helpers


def new_token() -> str:
    """A fresh 256-bit random token, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_now(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


@cache
def _dummy_pin_hash() -> str:
    # Unknown people still cost one scrypt check, so timing does not tell who exists.
    return hash_pin("00000000")


def _device_name(name: object) -> str:
    """A readable device name: whitespace collapsed, cut to fit, never empty."""
    text = " ".join(name.split()) if isinstance(name, str) else ""
    return text[:DEVICE_NAME_MAX] or DEFAULT_DEVICE_NAME


def _login_staff(session: Session, staff_id: object) -> Staff | None:
    """The person who may log in under ``staff_id``, or None (unknown, inactive, deleted)."""
    try:
        key = str(uuid.UUID(str(staff_id)))
    except (ValueError, TypeError, AttributeError):
        return None
    row = session.execute(
        select(Staff, Campus.is_deleted)
        .join(Campus, Campus.id == Staff.campus_id)
        .where(Staff.id == key)
    ).first()
    if row is None:
        return None
    staff, campus_deleted = row
    if staff.is_deleted or not staff.active or campus_deleted:
        return None
    return staff


def _issue_device(
    session: Session, staff: Staff, device_name: object, now: datetime
) -> IssuedToken:
    token = new_token()
    device = Device(
        staff_id=staff.id,
        name=_device_name(device_name),
        token_hash=token_hash(token),
        created_at=now,
        last_seen_at=now,
    )
    session.add(device)
    session.flush()
    return IssuedToken(token, device.id, Principal.of_staff(staff, device.id))


def _locked(lockout: PinLockout | None, now: datetime) -> TooManyAttempts | None:
    """The error to answer with while a lock is in force, else None."""
    if lockout is None or lockout.locked_until is None or now >= lockout.locked_until:
        return None
    seconds = max(1, math.ceil((lockout.locked_until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    return TooManyAttempts(f"PIN 错误次数过多，请 {minutes} 分钟后再试", seconds)


# --------------------------------------------------------------------------- PIN login


def login_with_pin(
    session: Session,
    *,
    staff_id: str,
    pin: str,
    device_name: str,
    now: datetime,
    checked: tuple[str, bool] | None = None,
) -> IssuedToken:
    """Log in with a PIN; on success create a device and return its token.

    Raises ``Unauthorized`` (:data:`BAD_LOGIN`) or ``TooManyAttempts`` by the module's rules.
    A wrong PIN is recorded in ``session`` (flushed) before the error is raised: **the caller
    must commit the session even though this raises**, or the lockout never engages. Use
    :func:`pin_login`, which does so. ``checked`` is ``(pin_hash, matched)`` from a scrypt check
    made before the transaction; it is used only while the stored hash is still that one.
    """
    now = _check_now(now)
    staff = _login_staff(session, staff_id)
    if staff is None:
        verify_pin(pin if isinstance(pin, str) else "", _dummy_pin_hash())
        raise Unauthorized(BAD_LOGIN)
    lockout = session.get(PinLockout, staff.id)
    locked = _locked(lockout, now)
    if locked is not None:
        raise locked
    if checked is not None and checked[0] == staff.pin_hash:
        matched = checked[1]
    else:
        matched = verify_pin(pin if isinstance(pin, str) else "", staff.pin_hash)
    if not matched:
        if lockout is None:
            lockout = PinLockout(staff_id=staff.id, failed_count=0)
            session.add(lockout)
        recent = (
            lockout.last_failed_at is not None and now - lockout.last_failed_at < FAILURE_WINDOW
        )
        lockout.failed_count = (lockout.failed_count if recent else 0) + 1
        lockout.last_failed_at = now
        if lockout.failed_count >= MAX_FAILED_PINS:
            lockout.locked_until = now + LOCK_DURATION
        session.flush()
        locked = _locked(lockout, now)
        if locked is not None:
            raise locked
        raise Unauthorized(BAD_LOGIN)
    if lockout is not None:
        lockout.failed_count = 0
        lockout.last_failed_at = None
        lockout.locked_until = None
    return _issue_device(session, staff, device_name, now)


def pin_login(
    database: Database, *, staff_id: str, pin: str, device_name: str, now: datetime
) -> IssuedToken:
    """:func:`login_with_pin` in its own unit of work that commits a failure before raising.

    This is the call for the HTTP edge: success commits the new device; a wrong PIN commits the
    lockout count and then raises ``Unauthorized``/``TooManyAttempts`` to be translated.

    The scrypt check (slow on purpose) runs before the write transaction, not inside it: a
    flood of guesses would otherwise hold the database's write lock back to back and every
    phone's push would wait behind them. The transaction still decides: it re-reads the lock
    and counts in order, so concurrent guesses get no more answers than sequential ones. A
    person already locked out is answered from a read, without the scrypt work.
    """
    now = _check_now(now)
    with database.reader() as session:
        staff = _login_staff(session, staff_id)
        stored = staff.pin_hash if staff is not None else None
        locked = _locked(session.get(PinLockout, staff.id), now) if staff is not None else None
    if locked is not None:
        raise locked
    text = pin if isinstance(pin, str) else ""
    if stored is None:
        verify_pin(text, _dummy_pin_hash())
        raise Unauthorized(BAD_LOGIN)
    checked = (stored, verify_pin(text, stored))
    failure: Unauthorized | TooManyAttempts | None = None
    with database.unit_of_work() as session:
        try:
            return login_with_pin(
                session,
                staff_id=staff_id,
                pin=pin,
                device_name=device_name,
                now=now,
                checked=checked,
            )
        except (Unauthorized, TooManyAttempts) as exc:
            failure = exc  # leaving the block normally commits the recorded failure
    assert failure is not None
    raise failure


# --------------------------------------------------------------------------- pairing


def create_pairing_token(
    session: Session, *, staff_id: str, now: datetime, ttl: timedelta = PAIRING_TTL
) -> PairingTicket:
    """A one-time pairing token for an active staff member, valid for ``ttl``."""
    now = _check_now(now)
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
        raise Invalid("ttl", "有效期必须大于零")
    staff = get_live(session, Staff, staff_id, "staff_id")
    if not staff.active:
        raise Invalid("staff_id", f"{staff.name} 已停用，不能配对手机")
    session.execute(
        delete(PairingToken).where(
            PairingToken.used_at.is_(None), PairingToken.expires_at < now - PAIRING_PURGE_AFTER
        )
    )
    token = new_token()
    expires_at = now + ttl
    session.add(
        PairingToken(
            staff_id=staff.id, token_hash=token_hash(token), created_at=now, expires_at=expires_at
        )
    )
    session.flush()
    return PairingTicket(token, staff.id, expires_at)


def redeem_pairing_token(
    session: Session, *, token: str, device_name: str, now: datetime
) -> IssuedToken:
    """Turn a pairing token into a device token; the pairing token is used up."""
    now = _check_now(now)
    if not isinstance(token, str) or not token:
        raise Unauthorized(BAD_PAIRING)
    ticket = session.scalar(
        select(PairingToken).where(PairingToken.token_hash == token_hash(token))
    )
    if ticket is None or ticket.used_at is not None or now >= ticket.expires_at:
        raise Unauthorized(BAD_PAIRING)
    staff = _login_staff(session, ticket.staff_id)
    if staff is None:
        raise Unauthorized(BAD_PAIRING)
    issued = _issue_device(session, staff, device_name, now)
    ticket.used_at = now
    ticket.device_id = issued.device_id
    session.flush()
    return issued


# --------------------------------------------------------------------------- tokens


def _principal_of_token(session: Session, token: object) -> tuple[Principal, Device]:
    if not isinstance(token, str) or not token:
        raise Unauthorized(BAD_TOKEN)
    row = session.execute(
        select(Device, Staff, Campus.is_deleted)
        .join(Staff, Staff.id == Device.staff_id)
        .join(Campus, Campus.id == Staff.campus_id)
        .where(Device.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise Unauthorized(BAD_TOKEN)
    device, staff, campus_deleted = row
    if device.revoked_at is not None or staff.is_deleted or not staff.active or campus_deleted:
        raise Unauthorized(BAD_TOKEN)
    return Principal.of_staff(staff, device.id), device


def _touch_due(device: Device, now: datetime) -> bool:
    return device.last_seen_at is None or now - device.last_seen_at >= TOUCH_INTERVAL


def authenticate(session: Session, token: str, *, now: datetime) -> Principal:
    """The principal a bearer token stands for, or ``Unauthorized``.

    Stamps ``last_seen_at`` (flushed) when the last stamp is a minute old or more, so call it
    inside a unit of work; :func:`authenticate_request` is the read-mostly alternative.
    """
    now = _check_now(now)
    principal, device = _principal_of_token(session, token)
    if _touch_due(device, now):
        device.last_seen_at = now
        session.flush()
    return principal


def authenticate_request(database: Database, token: str, *, now: datetime) -> Principal:
    """:func:`authenticate` for one request: a read snapshot, and a short write only when the
    device's last-seen stamp is due (at most once a minute per device)."""
    now = _check_now(now)
    with database.reader() as session:
        principal, device = _principal_of_token(session, token)
        due = _touch_due(device, now)
    if due:
        with database.unit_of_work() as session:
            session.execute(
                update(Device)
                .where(
                    Device.id == principal.device_id,
                    or_(Device.last_seen_at.is_(None), Device.last_seen_at <= now - TOUCH_INTERVAL),
                )
                .values(last_seen_at=now)
            )
    return principal


# --------------------------------------------------------------------------- devices


def list_devices(
    session: Session, *, campus_id: str | None = None, staff_id: str | None = None
) -> list[DeviceInfo]:
    """Devices (revoked ones included), by person name then newest first."""
    stmt = select(Device, Staff.name).join(Staff, Staff.id == Device.staff_id)
    if campus_id is not None:
        stmt = stmt.where(Staff.campus_id == check_uuid(campus_id, "campus_id"))
    if staff_id is not None:
        stmt = stmt.where(Device.staff_id == check_uuid(staff_id, "staff_id"))
    stmt = stmt.order_by(Staff.name, Device.staff_id, Device.created_at.desc(), Device.id)
    return [
        DeviceInfo(
            device_id=device.id,
            staff_id=device.staff_id,
            staff_name=staff_name,
            name=device.name,
            created_at=device.created_at,
            last_seen_at=device.last_seen_at,
            revoked_at=device.revoked_at,
        )
        for device, staff_name in session.execute(stmt)
    ]


def revoke_device(session: Session, *, device_id: str, now: datetime) -> None:
    """Revoke a device: its token is refused from now on (revoking twice keeps the first time)."""
    now = _check_now(now)
    device = session.get(Device, check_uuid(device_id, "device_id"))
    if device is None:
        raise NotFound(f"device_id: 设备不存在（{device_id}）")
    if device.revoked_at is None:
        device.revoked_at = now
        session.flush()


def login_candidates(session: Session) -> list[LoginCandidate]:
    """Active staff of live campuses for the phone's login screen, by campus then name."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.roles, Campus.id, Campus.name)
        .join(Campus, Campus.id == Staff.campus_id)
        .where(Staff.is_deleted.is_(False), Staff.active.is_(True), Campus.is_deleted.is_(False))
        .order_by(Campus.code, Staff.name, Staff.id)
    )
    return [
        LoginCandidate(
            staff_id=staff_id, name=name, campus_id=cid, campus_name=cname, roles=list(roles)
        )
        for staff_id, name, roles, cid, cname in rows
    ]
