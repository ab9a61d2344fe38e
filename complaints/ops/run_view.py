"""What a complaint's Prefect run shows operators: tags, a markdown summary, and events.

Built from our record, with references, keys and staff only: nothing a complainant
wrote or is (no name, address, text, product) reaches Prefect. The summary says where
the complaint stands, what it waits for, from whom and until when, and whether that is
late; the events are the audit trail's steps and stage changes since the last view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import EventKind, ProblemScope, Stage, StepKind, StepStatus
from complaints.markdown import table, utc
from complaints.models import Complaint, Event, Step
from complaints.organization import Organization
from complaints.steps.contracts import CauseAnalysis
from complaints.steps.history import latest_decision

# The audit events that become Prefect events (as ``complaint.<name>``), with the keys of
# their data that may travel (keys, kinds, stages: never a decision's text).
PUBLISHED: dict[EventKind, tuple[str, tuple[str, ...]]] = {
    EventKind.COMPLAINT_RECEIVED: ("received", ("department",)),
    EventKind.STEP_OPENED: ("step.opened", ("kind", "key")),
    EventKind.STEP_DECIDED: ("step.decided", ("kind", "key")),
    # Reminders and escalations are emitted by the deadline watch when they happen.
    EventKind.STAGE_CHANGED: ("stage.changed", ("stage", "from", "to")),
    EventKind.COMPLAINT_CLOSED: ("closed", ("resolution",)),
    EventKind.COMPLAINT_REOPENED: ("reopened", ()),
    EventKind.COMPLAINT_CLASSIFIED: ("classified", ("category",)),
    EventKind.REPORT_ISSUED: ("report.issued", ("key", "language")),
}


@dataclass(frozen=True)
class OpsEvent:
    name: str
    occurred: datetime
    payload: dict[str, Any]


@dataclass
class RunView:
    reference: str
    tags: list[str]
    markdown: str
    # What the run waits for, as the suspended state's message.
    message: str = ""
    # How far through the procedure (0-100), for the progress artifact; it moves only
    # with the stage, so a new version is due at the first view and at a stage change.
    progress: float = 0.0
    progress_moved: bool = True
    # One row per corrective action (owner, due, status), for the table artifact.
    actions: list[dict[str, str]] = field(default_factory=list)
    events: list[OpsEvent] = field(default_factory=list)
    last_seq: int = 0


# The tags this view owns on a run (each written whole, by the run, at every step);
# the deadline watch adds ``overdue`` between steps, and the next view takes it away
# once nothing is late.
OVERDUE_TAG = "overdue"
SYSTEMIC_TAG = "systemic"
OWNED_TAG_PREFIXES = ("stage:", "grade:", "department:", OVERDUE_TAG, SYSTEMIC_TAG)
STAGE_EVENT = f"complaint.{PUBLISHED[EventKind.STAGE_CHANGED][0]}"
# The procedure's stages in order (DOMAIN.md), for the progress artifact.
PROCEDURE = list(Stage)


def tags_of(complaint: Complaint, now: datetime) -> list[str]:
    """Tags an operator filters by: stage, grade, department; overdue and systemic when so."""
    tags = [f"stage:{complaint.stage.value}", f"department:{complaint.department}"]
    if complaint.grade is not None:
        tags.append(f"grade:{complaint.grade.value}")
    if any(_is_late(s, now) for s in complaint.steps):
        tags.append(OVERDUE_TAG)
    cause = latest_decision(complaint, StepKind.CAUSE_ANALYSIS, CauseAnalysis)
    if cause is not None and cause.scope is ProblemScope.SYSTEMIC:
        tags.append(SYSTEMIC_TAG)
    return tags


def _is_late(step: Step, now: datetime) -> bool:
    return step.status is StepStatus.OPEN and step.due_at is not None and step.due_at < now


def progress_of(complaint: Complaint) -> float:
    """Return how far a complaint is through the procedure, in percent."""
    return round(100 * PROCEDURE.index(complaint.stage) / (len(PROCEDURE) - 1), 1)


def waiting_message(complaint: Complaint, key: str, org: Organization, now: datetime) -> str:
    """Say what a run suspended at ``key`` waits for: the step, whose decision, due when."""
    step = next((s for s in complaint.steps if s.key == key), None)
    if step is None or step.status is not StepStatus.OPEN:
        return f"{complaint.reference}: {key}"
    zone = ZoneInfo(org.timezone)
    owner = org.people[step.assignee].name if step.assignee in org.people else step.assignee
    due = f"due {step.due_at.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})" if step.due_at else ""
    late = " - OVERDUE" if _is_late(step, now) else ""
    return f"{complaint.reference} waits at {key}: decision of {owner}, {due}{late}".rstrip(", ")


def action_rows(complaint: Complaint, now: datetime) -> list[dict[str, str]]:
    """Return the corrective actions as table rows: action, owner, due, status."""
    return [
        {
            "action": s.key,
            "owner": s.assignee,
            "due": utc(s.due_at),
            "status": "done" if s.decided_at else ("overdue" if _is_late(s, now) else "open"),
        }
        for s in complaint.steps
        if s.kind is StepKind.ACTION
    ]


def _summary(complaint: Complaint, now: datetime) -> str:
    grade = complaint.grade.value if complaint.grade else "–"
    lines = [
        f"# {complaint.reference}",
        "",
        f"**Stage:** {complaint.stage.value} · **grade:** {grade} · **department:** "
        f"{complaint.department} · **received:** {utc(complaint.received_at)}",
        "",
    ]
    waiting = [s for s in complaint.steps if s.status is StepStatus.OPEN]
    if waiting:
        lines += ["## Waiting for", ""]
        lines += table(
            ("step", "whose decision", "due", "late"),
            [(s.key, s.assignee, utc(s.due_at), _late(s.due_at, now)) for s in waiting],
        )
    lines += ["## Steps", ""]
    lines += table(
        ("step", "opened", "decided", "by", "in time"),
        [
            (s.key, utc(s.opened_at), utc(s.decided_at), s.decided_by or "", _in_time(s))
            for s in complaint.steps
        ],
    )
    actions = [s for s in complaint.steps if s.kind is StepKind.ACTION]
    if actions:
        lines += ["## Corrective actions", ""]
        lines += table(
            ("action", "owner", "due", "done"),
            [
                (s.key, s.assignee, utc(s.due_at), utc(s.decided_at) if s.decided_at else "")
                for s in actions
            ],
        )
    return "\n".join(lines)


def _late(due: datetime | None, now: datetime) -> str:
    return "**overdue**" if due and due < now else ""


def _in_time(step: Step) -> str:
    if not (step.decided_at and step.due_at):
        return ""
    return "yes" if step.decided_at <= step.due_at else "**late**"


def run_view(
    session: Session,
    complaint: Complaint,
    org: Organization,
    *,
    at_key: str,
    after_seq: int,
    now: datetime,
) -> RunView:
    """Return the run's view of a complaint at step ``at_key``, with the events after
    ``after_seq``."""
    view = RunView(
        complaint.reference,
        tags_of(complaint, now),
        _summary(complaint, now),
        message=waiting_message(complaint, at_key, org, now),
        progress=progress_of(complaint),
        actions=action_rows(complaint, now),
        last_seq=after_seq,
    )
    trail = session.scalars(
        select(Event)
        .where(Event.complaint_id == complaint.id, Event.seq > after_seq)
        .order_by(Event.seq)
    ).all()
    for event in trail:
        view.last_seq = event.seq
        # The stored kind is the StrEnum's value, which finds its member as a key.
        published = PUBLISHED.get(event.kind)  # type: ignore[call-overload]
        if published is None:
            continue
        name, keys = published
        payload = {k: event.data[k] for k in keys if k in (event.data or {})}
        payload["seq"] = event.seq  # the trail's order, where times tie
        view.events.append(OpsEvent(f"complaint.{name}", event.at, payload))
    view.progress_moved = after_seq == 0 or any(e.name == STAGE_EVENT for e in view.events)
    return view
