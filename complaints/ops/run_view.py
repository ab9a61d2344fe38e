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

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import EventKind, StepKind, StepStatus
from complaints.markdown import table, utc
from complaints.models import Complaint, Event, Step

# The audit events that become Prefect events (as ``complaint.<name>``), with the keys of
# their data that may travel (keys, kinds, stages: never a decision's text).
PUBLISHED: dict[EventKind, tuple[str, tuple[str, ...]]] = {
    EventKind.COMPLAINT_RECEIVED: ("received", ("department",)),
    EventKind.STEP_OPENED: ("step.opened", ("kind", "key")),
    EventKind.STEP_DECIDED: ("step.decided", ("kind", "key")),
    EventKind.STEP_REMINDED: ("step.reminded", ("kind", "key")),
    EventKind.STEP_OVERDUE: ("step.overdue", ("kind", "key", "level")),
    EventKind.STAGE_CHANGED: ("stage.changed", ("stage", "from", "to")),
    EventKind.COMPLAINT_CLOSED: ("closed", ("resolution",)),
    EventKind.COMPLAINT_REOPENED: ("reopened", ()),
    EventKind.COMPLAINT_CLASSIFIED: ("classified", ("category",)),
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
    events: list[OpsEvent] = field(default_factory=list)
    last_seq: int = 0


def tags_of(complaint: Complaint) -> list[str]:
    """Tags an operator filters by: the stage, the grade and the department."""
    tags = [f"stage:{complaint.stage.value}", f"department:{complaint.department}"]
    if complaint.grade is not None:
        tags.append(f"grade:{complaint.grade.value}")
    return tags


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


def run_view(session: Session, complaint: Complaint, *, after_seq: int, now: datetime) -> RunView:
    """Return the run's view of a complaint, with the events after ``after_seq``."""
    view = RunView(
        complaint.reference, tags_of(complaint), _summary(complaint, now), last_seq=after_seq
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
        view.events.append(OpsEvent(f"complaint.{name}", event.at, payload))
    return view
