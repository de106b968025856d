"""Tables of the LAN edge that phones never pull: devices, pairing, PIN lockout, sync clients,
per-field change versions and the conflict record.

They live beside :mod:`shared.models` on the same metadata (imported at its end) and are kept
out of ``SYNCED_MODELS``: a pull never returns them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import GUID, Base, UTCDateTime, _now, new_id


class Device(Base):
    """A paired phone (or a PIN login): its bearer token is stored only as a SHA-256 hash."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(GUID(), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    # Tokens are 256-bit random values, so a fast hash is enough (no guessing to slow down).
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PairingToken(Base):
    """A one-time token the desktop shows as a QR code; it expires and is used once."""

    __tablename__ = "pairing_tokens"

    id: Mapped[str] = mapped_column(GUID(), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), nullable=True)


class PinLockout(Base):
    """Wrong-PIN bookkeeping per staff member (5 wrong PINs lock PIN login for 15 minutes)."""

    __tablename__ = "pin_lockouts"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SyncClient(Base):
    """A phone's outbox identity: the last mutation id applied, recorded in the same
    transaction as the mutation itself, so a replayed push is a no-op."""

    __tablename__ = "sync_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), nullable=False, index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"), nullable=True)
    last_mutation_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)


class FieldVersion(Base):
    """The version at which one field of one synced row last changed (after its insert).

    Edits carry the version their author saw; a field whose version here is newer was changed
    by someone else meanwhile, which is how per-field merges and conflicts are decided.
    """

    __tablename__ = "field_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_id: Mapped[str] = mapped_column(GUID(), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class ConflictRecord(Base):
    """Both values of a collision: the same field changed on two sides, or an edit arriving
    for a deleted row. The later-arriving write won (or, for a deleted row, nothing was
    written); ``overwritten_value`` keeps what it replaced so the desktop can revert."""

    __tablename__ = "conflicts"

    id: Mapped[str] = mapped_column(GUID(), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # same_field | deleted_row
    table_name: Mapped[str] = mapped_column(String(64), nullable=False)
    row_id: Mapped[str] = mapped_column(GUID(), nullable=False)
    field: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    overwritten_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    applied_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    mutation_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    campus_id: Mapped[str | None] = mapped_column(ForeignKey("campuses.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=_now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution: Mapped[str] = mapped_column(String(20), nullable=False, default="")

    __table_args__ = (
        Index("ix_conflicts_open", "resolved_at", "created_at"),
        UniqueConstraint("client_id", "mutation_id", "table_name", "row_id", "field"),
    )
