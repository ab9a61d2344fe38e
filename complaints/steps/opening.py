"""Opening a waiting step: its record, the link for its assignee, its request email.

What a step is about, who is asked and when it is due come from its kind's spec in the
catalogue; a step is opened once per complaint and key, and only the call that opened
it may send its email (a re-executed flow opens nothing twice).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import record_event
from complaints.enums import EventKind, LinkAction, StepKind
from complaints.models import Complaint, LinkToken, Step, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue import spec_of, timed
from complaints.steps.catalogue.spec import Refs, Source
from complaints.steps.requests import request_step
from complaints.steps.stages import enter_stage
from complaints.tokens import hash_token, new_token


@dataclass(frozen=True)
class OpenedStep:
    step: Step
    # The raw link token, present only for the call that created the step: only that
    # call may send the email, so a step re-opened by a re-executed flow sends nothing.
    token: str | None


def open_step(
    session: Session,
    complaint: Complaint,
    *,
    kind: StepKind,
    key: str,
    assignee: str,
    due_at: datetime,
    secret: str,
    link_grace: timedelta,
    details: dict[str, Any] | None = None,
    actions: tuple[LinkAction, ...] = (LinkAction.DECIDE,),
    now: datetime | None = None,
) -> OpenedStep:
    """Open a step (once per complaint and key) with a link token for its assignee."""
    existing = repository.get_step(session, complaint.id, key)
    if existing:
        return OpenedStep(existing, None)
    opened_at = now or utcnow()
    step = Step(
        id=uuid.uuid4(),
        complaint_id=complaint.id,
        kind=kind,
        key=key,
        assignee=assignee,
        opened_at=opened_at,
        due_at=due_at,
        details=details or {},
    )
    try:
        with session.begin_nested():
            session.add(step)
    except IntegrityError:  # opened concurrently by another process
        raced = repository.get_step(session, complaint.id, key)
        assert raced is not None
        return OpenedStep(raced, None)
    token = issue_token(
        session,
        step,
        recipient=assignee,
        secret=secret,
        grace=link_grace,
        actions=actions,
        now=opened_at,
    )
    _record_opened(session, step)
    return OpenedStep(step, token)


def _record_opened(session: Session, step: Step) -> None:
    record_event(
        session,
        step.complaint_id,
        EventKind.STEP_OPENED,
        data={
            "kind": step.kind.value,
            "key": step.key,
            "assignee": step.assignee,
            "due_at": _iso(step.due_at),
        },
        at=step.opened_at,
    )


def issue_token(
    session: Session,
    step: Step,
    *,
    recipient: str,
    secret: str,
    grace: timedelta,
    actions: tuple[LinkAction, ...] = (LinkAction.DECIDE,),
    now: datetime | None = None,
) -> str:
    """Create a link token for one recipient of a step; return the raw token.

    It lives until the step's due time plus ``grace``, or, for a step already overdue,
    ``grace`` from ``now`` (the issuing decision's clock).
    """
    token = new_token()
    issued_at = now or utcnow()
    due = step.due_at or step.opened_at
    session.add(
        LinkToken(
            token_hash=hash_token(token, secret),
            step_id=step.id,
            recipient=recipient,
            actions=[action.value for action in actions],
            created_at=issued_at,
            expires_at=max(due, issued_at) + grace,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class WaitingStep:
    """A step opened for the flow to wait on, and the emails its opening queued."""

    step: Step
    message_ids: list[uuid.UUID]


def open_waiting(
    session: Session,
    complaint: Complaint,
    *,
    kind: StepKind,
    key: str,
    refs: Refs,
    org: Organization,
    settings: Settings,
    now: datetime,
) -> WaitingStep:
    """Open a step of a kind (once) and queue the email that asks its assignee to act.

    The complaint enters the step's stage first. A step asked for days later (the
    survey, the effectiveness check) is open at once, so the run can wait on it; the
    deadline watch sends its request when the day comes.
    """
    spec = spec_of(kind)
    message_ids = enter_stage(session, complaint, spec.stage, org, settings)
    source = Source(session, complaint, org)
    details, due_at = timed(source, kind, spec.details(source, refs), now)
    deferred = details.request_at is not None
    opened = open_step(
        session,
        complaint,
        kind=kind,
        key=key,
        assignee=spec.assignee(source, details),
        due_at=due_at,
        secret=settings.secret_key.get_secret_value(),
        link_grace=timedelta(hours=settings.link_grace_hours),
        details=details.model_dump(mode="json", exclude_defaults=True),
        actions=spec.link_actions,
        now=now,
    )
    if opened.token is not None and not deferred:
        message = request_step(session, complaint, opened.step, opened.token, org, settings)
        message_ids.append(message.id)
    return WaitingStep(opened.step, message_ids)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
