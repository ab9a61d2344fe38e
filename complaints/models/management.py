"""The records of management reviews: the meeting, what it waits for, and the links.

A management review is a :class:`~complaints.models.Review` of kind ``management`` (its
inputs are its figures, its participants its recipients, its pack and record its files);
these tables hold what is particular to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints.enums import StepStatus
from complaints.models.base import Base, UTCDateTime, _enum
from complaints.models.reviews import Review

# The key the review's run suspends at while it waits for the minutes.
MINUTES_KEY = "review-minutes"


class TaskKind(StrEnum):
    """What a management review waits for."""

    # The chair submits the minutes: decisions, each an action, and the next review.
    MINUTES = "minutes"
    # The owner of one decided action reports it done, with evidence.
    ACTION = "action"


class ManagementReview(Base):
    """A management review meeting: who chairs it, who takes part, when it meets."""

    __tablename__ = "management_reviews"

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reviews.id"), primary_key=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    chair: Mapped[str] = mapped_column(String(64))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    meeting_at: Mapped[datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship()
    tasks: Mapped[list[ReviewTask]] = relationship(
        back_populates="management", order_by="ReviewTask.number"
    )


class ReviewTask(Base):
    """What a management review waits for a person to do: its minutes, or an action.

    Tracked like a complaint's step: a due time, reminders before it and escalation
    after it (the organization's ladder), a link for its assignee, a decision recorded
    once.
    """

    __tablename__ = "review_tasks"
    __table_args__ = (UniqueConstraint("review_id", "kind", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("management_reviews.review_id"), index=True
    )
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind))
    # The minutes are number 1; actions are numbered as the minutes list them.
    number: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[str] = mapped_column(String(64))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus), default=StepStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An action's area and description (what the minutes decided).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The minutes taken by the review's run (until then the web app resumes it).
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reminders and escalations given (their keys), and changes a quality lead made.
    notices: Mapped[list[str]] = mapped_column(JSON, default=list)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    management: Mapped[ManagementReview] = relationship(back_populates="tasks")


class ReviewLink(Base):
    """A capability to act on one review task, sent by email; only its hash is stored."""

    __tablename__ = "review_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("review_tasks.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    task: Mapped[ReviewTask] = relationship()
