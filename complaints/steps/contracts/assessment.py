"""What the assessment's steps receive (ISO 10002 7.5): the decision or a question to the
complainant first, the complainant's answer, and a quality lead's approval of "not ours"."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field, model_validator

from complaints.enums import Grade
from complaints.meetings.plans import MeetingPlan
from complaints.steps.contracts.base import StepInput, field_error


class AssessmentDecision(StepInput, MeetingPlan):
    """The initial assessment (ISO 10002 7.5), or a question to the complainant first.

    Ours: the meeting fields convene the urgent containment meeting.
    """

    question: str = Field(
        "",
        max_length=4000,
        description="Ask the complainant for more information instead of deciding now",
    )
    ours: bool | None = Field(None, description="Is the problem ours (our product or service)?")
    valid: bool | None = Field(None, description="Is the complaint valid?")
    grade: Grade | None = Field(None, description="grumble, complaint or major complaint")
    # A key of the organization file's classification (ISO 10002 8.2); empty: unclassified.
    category: str = Field("", max_length=64, description="Complaint category")
    safety_relevant: bool = Field(False, description="Could the problem hurt someone?")
    immediate_action: str = Field("", max_length=4000, description="Action already taken")
    comment: str = Field("", max_length=4000, description="Internal note")
    explanation: str = Field(
        "", max_length=8000, description="What the complainant is told when it is not ours"
    )

    @model_validator(mode="after")
    def _complete(self) -> AssessmentDecision:
        if self.asks_complainant:
            return self
        missing = [name for name in ("ours", "valid", "grade") if getattr(self, name) is None]
        if missing:
            raise field_error(missing[0], "answer this (or ask the complainant a question)")
        if self.ours is False and not self.explanation:
            raise field_error("explanation", "explain to the complainant why it is not ours")
        if self.ours and self.meeting_at is None:
            raise field_error("meeting_at", "set the time of the containment meeting")
        return self

    @property
    def asks_complainant(self) -> bool:
        """Whether the handler asked the complainant for more information."""
        return bool(self.question)


class InfoResponse(StepInput):
    """The complainant's answer to the handler's question, with any uploaded files."""

    private_fields: ClassVar[frozenset[str]] = frozenset({"answer"})

    answer: str = Field(min_length=1, max_length=8000, description="The complainant's answer")
    files: list[uuid.UUID] = Field(default_factory=list, description="Uploaded attachment ids")


class NotOursApproval(StepInput):
    """A quality lead's approval of the explanation of a major complaint that is not ours."""

    approved: bool = Field(description="Send the explanation to the complainant?")
    explanation: str = Field("", max_length=8000, description="The explanation, as sent")
    comment: str = Field("", max_length=4000, description="Why not (sent back to the handler)")

    @model_validator(mode="after")
    def _complete(self) -> NotOursApproval:
        if self.approved and not self.explanation:
            raise field_error("explanation", "the explanation the complainant receives is empty")
        if not self.approved and not self.comment:
            raise field_error("comment", "tell the handler why the explanation is not approved")
        return self
