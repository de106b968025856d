"""The error tree every edge translates: HTTP status + JSON, a Chinese dialog, or a CLI line.

Messages are written for the person who sees them, in 简体中文; ``field`` names the offending
input in code terms so an API client can point at it.
"""

from __future__ import annotations


class DabiaoError(Exception):
    """Root of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DabiaoError):
    """A referenced row does not exist (or is deleted)."""


class Invalid(DabiaoError):
    """Input breaks a rule; ``field`` names the input, ``reason`` says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Forbidden(DabiaoError):
    """The caller may not read or write this."""


class Conflict(DabiaoError):
    """The write collides with the current state (a unique key, a stale version)."""


class StorageUnavailable(DabiaoError):
    """The environment's fault: missing, locked, read-only, corrupt or foreign database file."""


class NewerSchema(StorageUnavailable):
    """The file was written by a newer Dabiao; it is refused and left untouched."""


class Unauthorized(DabiaoError):
    """No valid credentials: a missing, unknown, expired or revoked token, or a wrong PIN."""


class TooManyAttempts(Forbidden):
    """PIN login is locked for a while after repeated wrong PINs."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class StaleClient(DabiaoError):
    """The phone runs an older (or newer) client than the server speaks; it must reload."""

    def __init__(self, message: str, server_schema_version: int) -> None:
        super().__init__(message)
        self.server_schema_version = server_schema_version
