"""Staff PINs: validated, then stored only as a slow salted scrypt hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from .errors import Invalid

# scrypt cost: ~50 ms per check on this class of machine, which makes guessing slow while the
# lockout (the server's job) stops brute force outright.
_N, _R, _P = 2**14, 8, 1
_PIN_RE = re.compile(r"^\d{4,8}$")


def check_pin_format(pin: str, field: str = "pin") -> str:
    """Accept a PIN of 4 to 8 digits."""
    if not isinstance(pin, str) or not _PIN_RE.fullmatch(pin):
        raise Invalid(field, "PIN 必须是 4 到 8 位数字")
    return pin


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """Hash a PIN as ``scrypt$N$r$p$salt$hash`` (hex)."""
    check_pin_format(pin)
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches a stored hash; malformed input or hashes never match."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != "scrypt" or not isinstance(pin, str):
            return False
        digest = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
