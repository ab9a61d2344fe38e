"""The HTTP API's request and response models."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator

from complaints.enums import Channel, Grade, Locale, Resolution, RunStatus, Stage, StepKind
from complaints.enums import StepStatus as StepStatusEnum
from complaints.models import utcnow

# Control characters other than tab and line breaks never belong in a complaint.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _clean_line(value: str) -> str:
    if _LINE_BREAK.search(value):
        raise ValueError("must be a single line")
    return _clean_text(value)


class ComplainantIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, examples=["王芳"])
    email: EmailStr = Field(max_length=320, examples=["wang.fang@example.com"])
    phone: str | None = Field(
        None, max_length=40, pattern=r"^\+?[0-9 ()./-]{3,40}$", examples=["+86 138 0000 0000"]
    )
    locale: Locale = Locale.EN

    _name_line = field_validator("name")(_clean_line)


class ComplaintIn(BaseModel):
    """A complaint as received (ISO 10002 7.2)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    complainant: ComplainantIn
    channel: Channel = Channel.WEB
    product: str = Field(min_length=1, max_length=200, examples=["Electric kettle K2"])
    description: str = Field(min_length=1, max_length=10_000)
    requested_remedy: str = Field(min_length=1, max_length=4_000)
    occurred_at: AwareDatetime | None = Field(None, description="When it happened (with offset)")

    _product_line = field_validator("product")(_clean_line)
    _texts = field_validator("description", "requested_remedy")(_clean_text)

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > utcnow():
            raise ValueError("must not be in the future")
        return value


class ComplaintCreated(BaseModel):
    id: uuid.UUID
    reference: str
    status_url: str


class StepOut(BaseModel):
    kind: StepKind
    status: StepStatusEnum
    opened_at: datetime
    due_at: datetime | None
    decided_at: datetime | None


class ComplaintOut(BaseModel):
    """A complaint's progress. Carries no personal data."""

    id: uuid.UUID
    reference: str
    stage: Stage
    grade: Grade | None
    resolution: Resolution | None
    received_at: datetime
    closed_at: datetime | None
    department: str
    run_status: RunStatus
    flow_run_id: uuid.UUID | None
    status_url: str
    steps: list[StepOut]
