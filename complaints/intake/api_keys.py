"""Keys of the systems that file complaints through the JSON API (ISO 10002 7.2: every
channel recorded): issued per integration, stored as keyed hashes, revocable. Once a key
exists, the API refuses a complaint without a valid one; the public form needs none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import ApiKey, utcnow
from complaints.tokens import hash_token, new_token

# Who filed a complaint through a key, in its audit trail.
INTEGRATION = "integration:"


class KeyExists(ValueError):
    """An integration of that name has a key already (revoke it first)."""


def issue(session: Session, name: str, secret: str) -> str:
    """Issue a key for an integration; return it (shown once, stored only as a hash)."""
    if session.scalars(select(ApiKey).where(ApiKey.name == name)).first() is not None:
        raise KeyExists(name)
    key = new_token()
    session.add(ApiKey(name=name, key_hash=hash_token(key, secret)))
    session.flush()
    return key


def revoke(session: Session, name: str) -> bool:
    """Revoke an integration's key; return whether there was one to revoke."""
    key = session.scalars(
        select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
    ).first()
    if key is None:
        return False
    key.revoked_at = utcnow()
    return True


def keys(session: Session) -> list[ApiKey]:
    """Return every key, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))


def required(session: Session) -> bool:
    """Whether the API asks for a key (some key is in force)."""
    live = select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)
    return session.scalars(live).first() is not None


def integration_of(session: Session, presented: str, secret: str) -> str | None:
    """Return the audit-trail name of the integration a key belongs to (None: no such key
    in force)."""
    name = session.scalars(
        select(ApiKey.name).where(
            ApiKey.key_hash == hash_token(presented, secret), ApiKey.revoked_at.is_(None)
        )
    ).first()
    return f"{INTEGRATION}{name}" if name is not None else None
