"""A complaint and what its handling records: steps, links, notices, files, meetings,
its audit trail and its category over time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.enums import (
    Channel,
    DecisionChannel,
    Grade,
    LinkAction,
    Locale,
    Resolution,
    RunStatus,
    Stage,
    StepKind,
    StepStatus,
)
from complaints.models.base import Base, UTCDateTime, _enum, utcnow


class ReferenceCounter(Base):
    """The last reference number handed out in a year."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    complainant_name: Mapped[str] = mapped_column(String(200))
    complainant_email: Mapped[str] = mapped_column(String(320))
    complainant_phone: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[Locale] = mapped_column(_enum(Locale))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    product: Mapped[str] = mapped_column(String(200))
    # The organization file's product family of the product when it was received (None:
    # none matched, or received before families were kept); reviews count by it.
    product_family: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    requested_remedy: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    department: Mapped[str] = mapped_column(String(64))
    handler: Mapped[str] = mapped_column(String(64))
    stage: Mapped[Stage] = mapped_column(_enum(Stage), default=Stage.RECEIVED)
    grade: Mapped[Grade | None] = mapped_column(_enum(Grade))
    safety_relevant: Mapped[bool | None] = mapped_column(Boolean)
    # Time the deadline clock stood still (waiting on the complainant, if the
    # organization's policy pauses it); every due time counted from receipt moves by it.
    clock_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_status: Mapped[RunStatus] = mapped_column(_enum(RunStatus), default=RunStatus.PENDING)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    run_start_attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_start_error: Mapped[str | None] = mapped_column(Text)
    # The last audit event (seq) shown to operators in Prefect (events, artifact, tags).
    published_seq: Mapped[int] = mapped_column(Integer, default=0)
    # When the complainant's personal data was erased (complaints.privacy); then it is
    # never reopened, mailed or exported again.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    steps: Mapped[list[Step]] = relationship(back_populates="complaint", order_by="Step.opened_at")


class Step(Base):
    """A point where the complaint's flow waits for a person's decision."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("complaint_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[StepKind] = mapped_column(_enum(StepKind))
    # The suspend key of the flow run; unique per complaint, so a step is opened once.
    key: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str] = mapped_column(String(64))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus), default=StepStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_channel: Mapped[DecisionChannel | None] = mapped_column(_enum(DecisionChannel))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set by the flow once it has received the decision; until then the web app keeps
    # trying to resume the run.
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resume_attempts: Mapped[int] = mapped_column(Integer, default=0)
    resume_error: Mapped[str | None] = mapped_column(Text)
    # What the step is about beyond its kind (e.g. the interim measure to carry out).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")


class LinkToken(Base):
    """A capability to act on one step, sent by email. Only its hash is stored."""

    __tablename__ = "link_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("steps.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    # What the recipient may do with the link (values of LinkAction).
    actions: Mapped[list[str]] = mapped_column(JSON, default=lambda: [LinkAction.DECIDE.value])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    step: Mapped[Step] = relationship()


class Event(Base):
    """One entry of a complaint's append-only, hash-chained audit trail."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Each text's salted commitment, by JSON pointer (complaints.seals): the hash covers
    # these, so a text can be erased and the chain still verifies.
    seals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StepNotice(Base):
    """A reminder or escalation of a waiting step; unique, so it is sent once."""

    __tablename__ = "step_notices"
    __table_args__ = (UniqueConstraint("step_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("steps.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    # "sent", or "superseded" for a reminder a later one made pointless.
    outcome: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """A file someone uploaded through a step link (a photo, evidence). Stored on disk
    under its id, never under the name it was uploaded with."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    step_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("steps.id"), index=True)
    # A person key of the organization file, or "complainant".
    uploaded_by: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Meeting(Base):
    """A meeting the flow convened, sent as a calendar invitation.

    The UID stays the same for the life of the meeting and the sequence grows with
    every change, so calendars update the event instead of adding another.
    """

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("complaint_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    # "containment" (the urgent meeting); later issues add the root-cause meeting.
    purpose: Mapped[str] = mapped_column(String(32))
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    organizer: Mapped[str] = mapped_column(String(64))
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Classification(Base):
    """A complaint's category from a point in time on (ISO 10002 8.2): the assessment
    sets it, a quality lead may correct it; reviews read the one valid at their period's end."""

    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(200))
    # Why it was corrected (empty for the assessment's own).
    reason: Mapped[str] = mapped_column(Text, default="")
