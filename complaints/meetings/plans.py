"""What a step decides about a meeting: when and where, and whom to invite; and a move."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PersonKey = str


class MeetingPlan(BaseModel):
    """When and where a meeting is held, and whom to invite besides the department."""

    meeting_at: AwareDatetime | None = Field(None, description="Meeting start")
    meeting_minutes: int = Field(60, ge=15, le=480, description="Meeting length in minutes")
    meeting_location: str = Field("", max_length=200, description="Room or video link")
    attendees: list[PersonKey] = Field(
        default_factory=list,
        max_length=30,
        description="People invited besides the owning department (organization file keys)",
    )


class MeetingChange(BaseModel):
    """A meeting moved by its organizer."""

    model_config = ConfigDict(str_strip_whitespace=True)

    starts_at: AwareDatetime
    minutes: int = Field(60, ge=15, le=480)
    location: str = Field("", max_length=200)
