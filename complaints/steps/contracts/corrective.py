"""What a corrective action's step receives (the corrective-action loop, 4): its owner's
report; and a quality lead's change of its owner or due date."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from complaints.steps.contracts.base import PersonKey, StepInput, field_error


class ActionReport(StepInput):
    """An owner's report that an action is done."""

    note: str = Field(min_length=1, max_length=4000, description="What was done")
    evidence: list[uuid.UUID] = Field(default_factory=list, description="Uploaded attachment ids")


class ActionChange(BaseModel):
    """A quality lead reassigns an action or moves its due date, with a reason."""

    model_config = ConfigDict(str_strip_whitespace=True)

    owner: PersonKey | None = None
    due_at: AwareDatetime | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _changes_something(self) -> ActionChange:
        if self.owner is None and self.due_at is None:
            raise field_error("owner", "choose a new owner or a new due date")
        return self
