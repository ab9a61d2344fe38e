"""Who may enter the reviews area: quality leads, signed in by an emailed link.

No passwords: a lead asks for a link with their email address and gets a single-use
link that works for minutes. Asking never tells whether the address belongs to a lead,
and a lead gets at most one new link a minute, so nobody can make the system mail an
address at a rate of their choosing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.mail.compose import queue_staff_email
from complaints.mail.contexts import SignInContext
from complaints.models import SignInToken
from complaints.organization import Organization, Person
from complaints.settings import Settings
from complaints.tokens import hash_token, new_token

# A lead gets at most one new link per this interval.
LINK_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SignInLink:
    """A link that was sent (for tests and logs: the person key, never the address)."""

    person: str
    url: str


def staff_by_email(org: Organization, email: str) -> Person | None:
    """Return the quality lead or front-desk person with this address (case-insensitive)."""
    wanted = email.strip().casefold()
    for key in org.staff:
        person = org.person(key)
        if str(person.email).casefold() == wanted:
            return person
    return None


def request_sign_in(
    session: Session, org: Organization, settings: Settings, email: str, *, now: datetime
) -> SignInLink | None:
    """Queue a sign-in link to the quality lead or front-desk person with this address
    (None: nobody of theirs, or one was sent within the last minute)."""
    person = staff_by_email(org, email)
    if person is None:
        return None
    recent = session.scalar(
        select(SignInToken.id).where(
            SignInToken.person == person.key, SignInToken.created_at > now - LINK_INTERVAL
        )
    )
    if recent is not None:
        return None
    token = new_token()
    row = SignInToken(
        id=uuid.uuid4(),
        token_hash=hash_token(token, settings.secret_key.get_secret_value()),
        person=person.key,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.sign_in_link_minutes),
    )
    session.add(row)
    url = f"{settings.public_url.rstrip('/')}/reviews/sign-in/{token}"
    context = SignInContext(
        reference=f"S-{row.id.hex[:6].upper()}",
        recipient_name=person.name,
        organization=org.name,
        url=url,
        expires_at=row.expires_at,
    )
    queue_staff_email(session, person, org, context, dedup_key=f"sign-in:{row.id}", now=now)
    return SignInLink(person.key, url)


def redeem_sign_in(
    session: Session, org: Organization, settings: Settings, token: str, *, now: datetime
) -> str | None:
    """Use a sign-in link once; return the person it signs in (None: unknown, used or
    expired, or the person is no longer staff)."""
    row = _open_link(session, settings, token, now)
    if row is None:
        return None
    used = session.execute(
        update(SignInToken)
        .where(SignInToken.id == row.id, SignInToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1 or row.person not in org.staff:
        return None
    return row.person


def sign_in_link_is_open(
    session: Session, settings: Settings, token: str, *, now: datetime
) -> bool:
    """Whether a sign-in link can still be used (for the page it opens)."""
    return _open_link(session, settings, token, now) is not None


def _open_link(
    session: Session, settings: Settings, token: str, now: datetime
) -> SignInToken | None:
    """Return the sign-in link a token stands for while it can be used (unused, current)."""
    token_hash = hash_token(token, settings.secret_key.get_secret_value())
    row = session.scalars(select(SignInToken).where(SignInToken.token_hash == token_hash)).first()
    return row if row is not None and row.used_at is None and row.expires_at > now else None
