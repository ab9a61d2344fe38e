"""A step's decision: recorded once, from a link or from the Prefect UI, and taken by the
complaint's run; and the link that carries the decision."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import record_event
from complaints.enums import DecisionChannel, EventKind, StepStatus
from complaints.models import LinkToken, Step, utcnow
from complaints.steps.catalogue import spec_of
from complaints.steps.contracts import StepInput
from complaints.tokens import hash_token

PREFECT_UI_ACTOR = "operator"


def resolve_link(
    session: Session, token: str, secret: str, *, now: datetime | None = None
) -> LinkToken | None:
    """Return the live token a link carries, or None if it is unknown, expired or revoked.

    A token of a step that was decided stays resolvable, so the page can say who decided.
    """
    row = repository.find_token(session, hash_token(token, secret))
    if row is None or row.expires_at < (now or utcnow()):
        return None
    if row.revoked_at is not None and row.step.status is StepStatus.OPEN:
        return None
    return row


def record_decision(
    session: Session,
    step: Step,
    decision: StepInput,
    *,
    decided_by: str,
    channel: DecisionChannel,
    client_addr: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a step's decision once; return False if it had been decided already."""
    decided_at = now or utcnow()
    payload = decision.model_dump(mode="json", exclude={"decided_via"})
    changed = session.execute(
        update(Step)
        .where(Step.id == step.id, Step.status == StepStatus.OPEN)
        .values(
            status=StepStatus.DECIDED,
            decided_at=decided_at,
            decided_by=decided_by,
            decision_channel=channel,
            decision=payload,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        return False
    # A decided step's links are dead for acting (they still show who decided).
    session.execute(
        update(LinkToken)
        .where(LinkToken.step_id == step.id, LinkToken.revoked_at.is_(None))
        .values(revoked_at=decided_at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(step)
    spec_of(step.kind).on_decided(session, step, decision, decided_by, decided_at)
    record_event(
        session,
        step.complaint_id,
        EventKind.STEP_DECIDED,
        actor=decided_by,
        channel=channel.value,
        client_addr=client_addr,
        data={"kind": step.kind.value, "key": step.key, "decision": payload},
        at=decided_at,
    )
    return True


def apply_decision(
    session: Session, complaint_id: uuid.UUID, key: str, received: StepInput
) -> dict[str, Any]:
    """Take the decision a resumed flow received; return the recorded decision.

    A decision made through an email link is recorded before the run is resumed; one
    made by an operator in the Prefect UI is recorded here, with that channel.
    """
    step = repository.get_step(session, complaint_id, key)
    if step is None:
        raise LookupError(f"no step {key} for complaint {complaint_id}")
    if step.status is StepStatus.OPEN:
        record_decision(
            session, step, received, decided_by=PREFECT_UI_ACTOR, channel=received.decided_via
        )
    mark_applied(session, step)
    assert step.decision is not None
    return step.decision


def mark_applied(session: Session, step: Step, *, now: datetime | None = None) -> None:
    """Note (once) that the complaint's run has taken a decided step's decision."""
    if step.applied_at is None:
        step.applied_at = now or utcnow()
        record_event(
            session,
            step.complaint_id,
            EventKind.STEP_APPLIED,
            data={"key": step.key},
            at=step.applied_at,
        )
