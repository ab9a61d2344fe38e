"""The records: SQLAlchemy 2 typed models. Personal data lives here and nowhere else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from complaints.enums import (
    Channel,
    DecisionChannel,
    Grade,
    LinkAction,
    Locale,
    OutboxStatus,
    Resolution,
    RunStatus,
    Stage,
    StepKind,
    StepStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that comes back aware on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[Any]) -> Enum:
    # Stored as plain strings (no native enum types): adding a value needs no DDL.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


class OutboxMessage(Base):
    """An email to deliver. The dedup key makes a second copy impossible."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(400))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    # Text attachments (a calendar invitation): [{"filename", "content_type", "text"}];
    # stored files (the incident report) by id: [{"filename", "content_type", "attachment_id"}].
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the first delivery attempt (the sender's clock); giving up counts from it.
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # When the decision to send it was made, on that decision's clock.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


class RunExecution(Base):
    """The one execution of a flow run that may act: the latest to start.

    A run started again while an old process of it may still be alive (it only looked
    dead) has two executions; the old one finds another id here and stops (fencing).
    """

    __tablename__ = "run_executions"

    flow_run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    execution_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JournalEntry(Base):
    """What one finished task of a flow run returned: ids and references only.

    A resumed run executes again from the top; each task it already finished returns
    this instead of running (or being recorded in Prefect) again.
    """

    __tablename__ = "run_journal"

    flow_run_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


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


class SignInToken(Base):
    """A single-use link that signs a quality lead in to the reviews area; only its hash
    is stored."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Review(Base):
    """A trend analysis as it was issued: its period, filters and figures (ISO 10002 8.6
    asks that review records be kept)."""

    __tablename__ = "reviews"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # One review per key (the flow run that made it): a repeated run issues it once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_label: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    files: Mapped[list[ReviewFile]] = relationship(order_by="ReviewFile.filename")


class ReviewFile(Base):
    """A file of a review (its PDF, its CSV, a chart), stored on disk under its id, with
    the hash that shows it unchanged."""

    __tablename__ = "review_files"
    __table_args__ = (UniqueConstraint("review_id", "filename"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class ShippedVolume(Base):
    """Units of a product family shipped in a month (``YYYY-MM``, the organization's
    zone), as a quality lead supplied them: trend analyses divide complaints by them
    into rates per unit (ISO 10002 8.2)."""

    __tablename__ = "shipped_volumes"

    product_family: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditRehash(Base):
    """A chain as it was before its events committed to their texts by salted digests:
    its old head, verified before the chain was sealed again (migration 0019)."""

    __tablename__ = "audit_rehashes"

    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    old_head_seq: Mapped[int] = mapped_column(Integer)
    old_head_hash: Mapped[str] = mapped_column(String(64))
    # None: the old chain did not verify (broken at ``broken_at``) and was left as it was.
    new_head_hash: Mapped[str | None] = mapped_column(String(64))
    broken_at: Mapped[int | None] = mapped_column(Integer)
    rehashed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DataExport(Base):
    """Everything held about one complainant, as a ZIP for them (the access right), behind
    a single-use link that expires; only the link's hash is stored."""

    __tablename__ = "data_exports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    complaint_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class InboundMessage(Base):
    """An email that came in to the complaints address, taken exactly once (by its
    Message-ID, or a digest of the message when it has none) and what became of it."""

    __tablename__ = "inbound_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "complaint" (a new one), "correspondence" (a reply to one), "ignored" (an
    # auto-reply, a bounce, our own mail) or "kept" (for an operator: no sender, empty).
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(200))
    complaint_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    # The raw message of one kept for an operator (nothing else keeps it).
    raw: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    """A key a system integrating with us (a shop, a CRM) files complaints with: stored as
    a keyed hash only, revocable, its name recorded with every complaint it files."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
