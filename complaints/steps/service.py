"""Waiting steps: opening one with its link, and recording the decision that ends it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints import repository
from complaints.audit import record_event
from complaints.classification import classify
from complaints.enums import (
    DecisionChannel,
    EventKind,
    Grade,
    LinkAction,
    MeetingPurpose,
    StepKind,
    StepStatus,
)
from complaints.models import Complaint, Event, LinkToken, Meeting, Step, utcnow
from complaints.organization import Organization
from complaints.steps.contracts import StepInput
from complaints.tokens import hash_token, new_token

PREFECT_UI_ACTOR = "operator"
# Steps that take a meeting's minutes, and the meeting (its purpose) they are of.
MEETING_OF_MINUTES = {
    StepKind.CONTAINMENT: MeetingPurpose.CONTAINMENT,
    StepKind.ACTION_PLAN: MeetingPurpose.ROOT_CAUSE,
}
# The assignee of a step the complainant acts on (not a person of the organization).
COMPLAINANT = "complainant"


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
    record_event(
        session,
        complaint.id,
        EventKind.STEP_OPENED,
        data={"kind": kind.value, "key": key, "assignee": assignee, "due_at": _iso(step.due_at)},
        at=opened_at,
    )
    return OpenedStep(step, token)


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
    if step.kind is StepKind.ASSESSMENT and payload.get("grade"):
        step.complaint.grade = Grade(payload["grade"])
        step.complaint.safety_relevant = bool(payload.get("safety_relevant"))
        if payload.get("category"):
            classify(session, step.complaint_id, payload["category"], by=decided_by, at=decided_at)
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


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def latest_decision(complaint: Complaint, kind: StepKind) -> dict[str, Any]:
    """Return the latest decision of a step kind (e.g. the cause analysis), or {}."""
    decided = [s for s in complaint.steps if s.kind is kind and s.decision is not None]
    return dict(decided[-1].decision or {}) if decided else {}


def actions_closed_at(complaint: Complaint) -> datetime | None:
    """Return when the last corrective action was done (None: some are still open)."""
    actions = [s for s in complaint.steps if s.kind is StepKind.ACTION]
    if not actions or any(s.decided_at is None for s in actions):
        return None
    return max(s.decided_at for s in actions if s.decided_at is not None)


def final_record(complaint: Complaint) -> dict[str, Any]:
    """Return the figures a complaint closes with (ISO 10002 7.9), references only."""

    def decided(kind: StepKind) -> list[Step]:
        return [s for s in complaint.steps if s.kind is kind and s.decision is not None]

    survey = latest_decision(complaint, StepKind.SURVEY)
    return {
        "actions": len([s for s in complaint.steps if s.kind is StepKind.ACTION]),
        "action_plans": len(decided(StepKind.ACTION_PLAN)),
        "responses": len(decided(StepKind.RESPONSE_DECISION)),
        "survey_score": survey.get("score"),
        "effectiveness_checks": len(decided(StepKind.EFFECTIVENESS)),
    }


def reopenings(session: Session, complaint_id: uuid.UUID) -> list[Event]:
    """Return the times a quality lead reopened a closed complaint, oldest first."""
    return list(repository.events_of_kind(session, complaint_id, EventKind.COMPLAINT_REOPENED))


def step_details(
    session: Session,
    complaint: Complaint,
    kind: StepKind,
    refs: dict[str, str | int],
    org: Organization,
) -> dict[str, Any]:
    """Return what a step is about, taken from the earlier steps ``refs`` point at.

    The flow passes references only; the text (a question, an answer, a measure) stays
    in this database.
    """

    def step_of(key: object) -> Step:
        step = repository.get_step(session, complaint.id, str(key))
        if step is None or step.decision is None:
            raise LookupError(f"step {key} of {complaint.id} has no decision")
        return step

    def decision_of(key: object) -> dict[str, Any]:
        return dict(step_of(key).decision or {})

    if kind in FOLLOW_UP_KINDS:
        return _follow_up_details(complaint, kind, refs, org, step_of)

    if kind is StepKind.INFO_REQUEST:
        return {"question": decision_of(refs["asked_in"])["question"]}
    if kind is StepKind.NOT_OURS_APPROVAL:
        assessment = repository.get_step(session, complaint.id, str(refs["assessment_step"]))
        assert assessment is not None and assessment.decision is not None
        return {
            "explanation": assessment.decision["explanation"],
            "handler": assessment.decided_by or complaint.handler,
        }
    if kind is StepKind.MEASURE:
        measure = decision_of(refs["minutes_step"])["measures"][int(refs["index"])]
        return {**measure, "index": int(refs["index"])}
    if kind is StepKind.CAUSE_ANALYSIS:
        return dict(decision_of(refs["minutes_step"])["analysis"])
    if kind is StepKind.ACTION and "survey_step" in refs:
        # A dissatisfied survey: an improvement action for the handler's department.
        survey = step_of(refs["survey_step"])
        assert survey.decided_at is not None and survey.decision is not None
        due = survey.decided_at + timedelta(days=org.follow_up.improvement_days)
        return {
            "type": "corrective",
            "description": f"{survey.decision['score']}/5: {survey.decision.get('comment', '')}",
            "owner": complaint.handler,
            "due_at": due.isoformat(),
            "survey_step": str(refs["survey_step"]),
        }
    if kind is StepKind.ACTION:
        action = decision_of(refs["plan_step"])["actions"][int(refs["index"])]
        return {**action, "index": int(refs["index"]), "plan_step": str(refs["plan_step"])}
    if kind is StepKind.ACTION_PLAN and "effectiveness_step" in refs:
        return {"why": decision_of(refs["effectiveness_step"])["comment"], "again": True}
    if kind is StepKind.ACTION_PLAN and "reopening" in refs:
        reopened = reopenings(session, complaint.id)[int(refs["reopening"]) - 1]
        return {"why": reopened.data.get("reason", ""), "again": True}
    if kind is StepKind.ASSESSMENT and "info_step" in refs:
        info_key = str(refs["info_step"])
        info = repository.get_step(session, complaint.id, info_key)
        assert info is not None and info.decision is not None
        return {
            "question": info.details.get("question", ""),
            "answer": info.decision.get("answer", ""),
            "files": [str(f) for f in info.decision.get("files", [])],
            "info_step": info_key,
        }
    if kind is StepKind.ASSESSMENT and "approval_step" in refs:
        return {"returned_because": decision_of(refs["approval_step"])["comment"]}
    return {}


FOLLOW_UP_KINDS = frozenset(
    {
        StepKind.RESPONSE,
        StepKind.RESPONSE_APPROVAL,
        StepKind.RESPONSE_DECISION,
        StepKind.SURVEY,
        StepKind.EFFECTIVENESS,
    }
)
RESPONSE_FIELDS = ("remedy", "actions_taken", "prevention")


def _follow_up_details(
    complaint: Complaint,
    kind: StepKind,
    refs: dict[str, str | int],
    org: Organization,
    step_of: Callable[[object], Step],
) -> dict[str, Any]:
    """Details of the steps after the actions: the answer, its decision, the follow-up."""
    round_ = int(refs.get("round", 1))
    if kind is StepKind.RESPONSE:
        details: dict[str, Any] = {"round": round_}
        if "rejected_in" in refs:
            rejected = step_of(refs["rejected_in"]).decision or {}
            details["not_satisfied_because"] = rejected["reason"]
        if "returned_in" in refs:
            returned = step_of(refs["returned_in"]).decision or {}
            details["returned_because"] = returned["comment"]
        previous = latest_decision(complaint, StepKind.RESPONSE)
        details["previous"] = {name: previous.get(name, "") for name in RESPONSE_FIELDS}
        return details
    if kind is StepKind.RESPONSE_APPROVAL:
        draft = step_of(refs["response_step"])
        assert draft.decision is not None
        return {
            **{name: draft.decision[name] for name in RESPONSE_FIELDS},
            "handler": draft.decided_by or complaint.handler,
            "round": round_,
        }
    if kind is StepKind.RESPONSE_DECISION:
        answer = step_of(refs["answer_step"]).decision
        assert answer is not None
        return {
            **{name: answer[name] for name in RESPONSE_FIELDS},
            "round": round_,
            "last_round": round_ >= org.follow_up.response_rounds,
        }
    if kind is StepKind.SURVEY:
        accepted = step_of(refs["decision_step"])
        assert accepted.decided_at is not None
        return {"accepted_at": accepted.decided_at.isoformat()}
    closed = actions_closed_at(complaint)
    assert closed is not None, "every action is done before its effectiveness is checked"
    return {"actions_closed_at": closed.isoformat(), "round": round_}


def assignee_for(
    session: Session,
    complaint: Complaint,
    kind: StepKind,
    details: dict[str, Any],
    quality_leads: list[str],
) -> str:
    """Return who acts on a step: the handler unless the step says otherwise."""
    if kind in (StepKind.INFO_REQUEST, StepKind.RESPONSE_DECISION, StepKind.SURVEY):
        return COMPLAINANT
    if kind in (StepKind.NOT_OURS_APPROVAL, StepKind.RESPONSE_APPROVAL, StepKind.EFFECTIVENESS):
        return quality_leads[0]
    if kind in (StepKind.MEASURE, StepKind.ACTION):
        return str(details["owner"])
    if kind is StepKind.CAUSE_ANALYSIS:
        return str(details["analyst"])
    if kind in MEETING_OF_MINUTES:
        meeting = session.scalars(
            select(Meeting).where(
                Meeting.complaint_id == complaint.id, Meeting.purpose == MEETING_OF_MINUTES[kind]
            )
        ).first()
        return meeting.organizer if meeting else complaint.handler
    return complaint.handler
