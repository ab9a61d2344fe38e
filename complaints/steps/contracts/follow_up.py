"""What the follow-up's steps receive (the corrective-action loop, 6; ISO 10002 8.3): the
survey's answer and the effectiveness check; and a quality lead's reopening."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.steps.contracts.base import StepInput, field_error

# Scores at or below this mean the complainant was dissatisfied (1 = very, 5 = very well).
DISSATISFIED_AT_MOST = 2


class SurveyAnswer(StepInput):
    """The complainant's satisfaction with the handling (corrective-action loop, 6a;
    ISO 10002 8.3)."""

    private_fields: ClassVar[frozenset[str]] = frozenset({"comment"})

    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: str = Field("", max_length=4000, description="The complainant's comment")

    @property
    def dissatisfied(self) -> bool:
        return self.score <= DISSATISFIED_AT_MOST


class EffectivenessCheck(StepInput):
    """A quality lead's verdict on whether the actions worked."""

    effective: bool = Field(description="Did the actions keep the problem from recurring?")
    comment: str = Field("", max_length=4000, description="What the check found")

    @model_validator(mode="after")
    def _complete(self) -> EffectivenessCheck:
        if not self.effective and not self.comment:
            raise field_error("comment", "say what still happens, for the new actions")
        return self


class Reopening(BaseModel):
    """A quality lead reopens a closed complaint."""

    model_config = ConfigDict(str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=4000)
