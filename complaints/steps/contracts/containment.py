"""What the containment's steps receive (the corrective-action loop, 2.2): the urgent
meeting's minutes, and each owner's report of an interim measure done."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from complaints.enums import MeasureType
from complaints.steps.contracts.base import PersonKey, StepInput


class InterimMeasure(BaseModel):
    """One interim measure of the containment meeting: what, who, by when."""

    model_config = ConfigDict(str_strip_whitespace=True)

    type: MeasureType
    description: str = Field(min_length=1, max_length=2000)
    owner: PersonKey = Field(min_length=1, max_length=64)
    due_at: AwareDatetime


class AnalysisPlan(BaseModel):
    """The cause-analysis arrangement: who analyses, by when, what and how."""

    model_config = ConfigDict(str_strip_whitespace=True)

    analyst: PersonKey = Field(min_length=1, max_length=64)
    due_at: AwareDatetime
    scope: str = Field(min_length=1, max_length=4000, description="What is analysed")
    method: str = Field(min_length=1, max_length=4000, description="How (5-Why, tests, ...)")


class ContainmentMinutes(StepInput):
    """The minutes of the urgent containment meeting (corrective-action loop, 2.2)."""

    summary: str = Field("", max_length=8000, description="What the meeting found")
    measures: list[InterimMeasure] = Field(min_length=1, max_length=10)
    analysis: AnalysisPlan


class MeasureReport(StepInput):
    """An owner's report that an interim measure is done."""

    note: str = Field(min_length=1, max_length=4000, description="What was done")
    evidence: list[uuid.UUID] = Field(default_factory=list, description="Uploaded attachment ids")
