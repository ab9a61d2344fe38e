"""Link tokens (random, stored only as keyed hashes), form guards and signed status links."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import uuid

TOKEN_BYTES = 32  # 256 random bits per link


def new_token() -> str:
    """Return a fresh random link token (URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _mac(secret: str, purpose: str, value: str) -> bytes:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def hash_token(token: str, secret: str) -> str:
    """Return the keyed hash under which a token is stored."""
    return _mac(secret, "link", token).hex()


def form_guard(token: str, secret: str) -> str:
    """Return the value a step form must post back (ties the POST to the page it came from)."""
    return _mac(secret, "form", token).hex()[:32]


def guard_matches(token: str, secret: str, posted: str) -> bool:
    """Tell whether a posted form guard belongs to the token, in constant time."""
    return hmac.compare_digest(form_guard(token, secret), posted)


def sign_session(person: str, expires_at: int, secret: str) -> str:
    """Return a signed session value: a person key and when it expires (epoch seconds)."""
    value = f"{person}.{expires_at}"
    mac = base64.urlsafe_b64encode(_mac(secret, "session", value)[:18]).decode()
    return f"{value}.{mac}"


def verify_session(signed: str, secret: str, now: int) -> str | None:
    """Return the person a session value stands for, or None if forged or expired."""
    value, _, mac = signed.rpartition(".")
    person, _, expires = value.rpartition(".")
    if not person or not expires.isdigit() or int(expires) <= now:
        return None
    expected = base64.urlsafe_b64encode(_mac(secret, "session", value)[:18]).decode()
    return person if hmac.compare_digest(expected, mac) else None


def sign_status(complaint_id: uuid.UUID, secret: str) -> str:
    """Return the login-free token of a complaint's status page."""
    mac = _mac(secret, "status", str(complaint_id))[:16]
    return base64.urlsafe_b64encode(complaint_id.bytes + mac).decode().rstrip("=")


def verify_status(signed: str, secret: str) -> uuid.UUID | None:
    """Return the complaint id a status token stands for, or None if it is not genuine."""
    try:
        raw = base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4))
    except (binascii.Error, ValueError):
        return None
    # Only the canonical spelling counts: the last character's unused bits could
    # otherwise be changed without changing the bytes.
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).decode().rstrip("=") != signed:
        return None
    complaint_id = uuid.UUID(bytes=raw[:16])
    expected = _mac(secret, "status", str(complaint_id))[:16]
    return complaint_id if hmac.compare_digest(expected, raw[16:]) else None


def automation_token(secret: str) -> str:
    """Return the token the Prefect automations' webhook presents to the web app.

    Derived from the app's secret key, so `make run` and production need no second
    secret; `python -m flows.automations` writes it into the webhook block.
    """
    return _mac(secret, "prefect-automations", "webhook").hex()
