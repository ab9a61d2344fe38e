"""Tracking corrective actions: progress notes, and a quality lead's changes to them.

The flow waits on an action's step key, whoever owns it: reassigning changes the step's
assignee and its live links, never the run. Every change is recorded with its reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from complaints.actions.notices import tell_new_owner
from complaints.audit import record_event
from complaints.enums import EventKind, StepStatus
from complaints.models import LinkToken, Step, StepNotice, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue.corrective import ACTION
from complaints.steps.contracts import (
    ActionChange,
)
from complaints.steps.opening import issue_token


class ActionClosed(ValueError):
    """The action was reported done already: nothing about it changes any more."""


def manage(
    session: Session,
    step: Step,
    change: ActionChange,
    org: Organization,
    settings: Settings,
    *,
    by: str,
) -> dict[str, str]:
    """Give an action another owner and/or another due date (the quality leads' link);
    return the problems by field (nothing changes then)."""
    grace = timedelta(hours=settings.link_grace_hours)
    if change.owner is not None and change.owner != step.assignee:
        if change.owner not in org.people:
            return {"owner": "choose an owner from the list"}
        new_token = reassign(
            session,
            step,
            change.owner,
            reason=change.reason,
            by=by,
            secret=settings.secret_key.get_secret_value(),
            grace=grace,
        )
        tell_new_owner(session, step.complaint, step, new_token, org, settings)
    if change.due_at is not None and change.due_at != step.due_at:
        move_due(session, step, change.due_at, reason=change.reason, by=by, grace=grace)
    return {}


def report_progress(session: Session, step: Step, note: str, *, by: str) -> None:
    """Record an owner's progress note on an action that is not done yet."""
    _require_open(step)
    data = {"key": step.key, "note": note}
    record_event(session, step.complaint_id, EventKind.ACTION_PROGRESS, actor=by, data=data)


def reassign(
    session: Session,
    step: Step,
    new_owner: str,
    *,
    reason: str,
    by: str,
    secret: str,
    grace: timedelta,
    now: datetime | None = None,
) -> str:
    """Give an action to another owner; return the new owner's link token.

    The previous owner's links stop working at once.
    """
    _require_open(step)
    changed_at = now or utcnow()
    previous = step.assignee
    session.execute(
        update(LinkToken)
        .where(
            LinkToken.step_id == step.id,
            LinkToken.recipient == previous,
            LinkToken.revoked_at.is_(None),
        )
        .values(revoked_at=changed_at)
        .execution_options(synchronize_session=False)
    )
    step.assignee = new_owner
    step.details = {**step.details, "owner": new_owner, "reassigned": _count(step) + 1}
    record_event(
        session,
        step.complaint_id,
        EventKind.ACTION_REASSIGNED,
        actor=by,
        data={"key": step.key, "from": previous, "to": new_owner, "reason": reason},
        at=changed_at,
    )
    return issue_token(session, step, recipient=new_owner, secret=secret, grace=grace)


def move_due(
    session: Session, step: Step, due_at: datetime, *, reason: str, by: str, grace: timedelta
) -> None:
    """Give an action a new due date; its reminders and escalations start over from it."""
    _require_open(step)
    previous = step.due_at
    step.due_at = due_at
    # Live links last until the new due time plus the grace period.
    tokens = session.scalars(
        select(LinkToken).where(LinkToken.step_id == step.id, LinkToken.revoked_at.is_(None))
    )
    for token in tokens:
        token.expires_at = max(token.expires_at, due_at + grace)
    step.details = {**step.details, "due_at": due_at.isoformat()}
    # Notices were given for the old due time; the new one gets its own.
    session.execute(delete(StepNotice).where(StepNotice.step_id == step.id))
    record_event(
        session,
        step.complaint_id,
        EventKind.ACTION_DUE_CHANGED,
        actor=by,
        data={
            "key": step.key,
            "from": previous.isoformat() if previous else None,
            "to": due_at.isoformat(),
            "reason": reason,
        },
    )


def _count(step: Step) -> int:
    return ACTION.details_of(step).reassigned


def _require_open(step: Step) -> None:
    if step.status is not StepStatus.OPEN:
        raise ActionClosed(f"{step.key} is done already")
