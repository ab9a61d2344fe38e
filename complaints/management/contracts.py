"""What a management review's tasks receive: the chair's minutes (ISO 10002 8.6: its
outputs are decisions and actions), and an owner's report that an action is done (a
quality lead changes an action as a corrective action's: its ``ActionChange``)."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.steps.contracts.base import PersonKey, StepInput, field_error


class DecisionArea(StrEnum):
    """What a management review decides on (ISO 9001 9.3.3)."""

    PROCESS = "process"
    PRODUCT = "product"
    RESOURCES = "resources"


class ReviewDecision(BaseModel):
    """One decision of the review: an action with one owner and a due date."""

    model_config = ConfigDict(str_strip_whitespace=True)

    area: DecisionArea
    description: str = Field(min_length=1, max_length=2000, description="What is to be done")
    owner: PersonKey = Field(min_length=1, description="Who owns it (organization file key)")
    due_on: date = Field(description="Done by (the organization's zone)")


class ReviewMinutes(StepInput):
    """The minutes of a management review: who attended, what was decided, the next one."""

    attended: list[PersonKey] = Field(default_factory=list, description="Who took part")
    summary: str = Field("", max_length=8000, description="What was discussed")
    decisions: list[ReviewDecision] = Field(default_factory=list, max_length=30)
    next_review_on: date = Field(description="The date of the next management review")

    @model_validator(mode="after")
    def _sound(self) -> ReviewMinutes:
        if not self.decisions and not self.summary:
            raise field_error("summary", "say what was discussed, or record a decision")
        return self


class ActionDone(BaseModel):
    """An owner's report that a review's action is done, with its evidence."""

    model_config = ConfigDict(str_strip_whitespace=True)

    note: str = Field(min_length=1, max_length=4000, description="What was done")
    evidence: list[uuid.UUID] = Field(default_factory=list, description="Uploaded file ids")
