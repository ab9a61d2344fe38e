"""The links of a management review's tasks: one per recipient, stored as a hash only,
alive until the task's due time plus the grace (or, issued late, the grace from then)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import ReviewLink, ReviewTask
from complaints.settings import Settings
from complaints.tokens import hash_token, new_token


def issue_link(
    session: Session, task: ReviewTask, recipient: str, settings: Settings, *, now: datetime
) -> str:
    """Create a link to a task for one recipient; return its URL."""
    token = new_token()
    session.add(
        ReviewLink(
            token_hash=hash_token(token, settings.secret_key.get_secret_value()),
            task_id=task.id,
            recipient=recipient,
            created_at=now,
            expires_at=max(task.due_at, now) + timedelta(hours=settings.link_grace_hours),
        )
    )
    session.flush()
    return f"{settings.public_url.rstrip('/')}/r/{token}"


def resolve_link(
    session: Session, token: str, settings: Settings, *, now: datetime
) -> ReviewLink | None:
    """Return the live link a token names, or None (unknown or expired).

    A link of a task already done still resolves: its page says who did it and when.
    """
    link = session.scalars(
        select(ReviewLink).where(
            ReviewLink.token_hash == hash_token(token, settings.secret_key.get_secret_value())
        )
    ).first()
    if link is None or link.expires_at < now:
        return None
    return link
