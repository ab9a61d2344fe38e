"""The organization's policies, as its file states them: deadlines and escalation,
follow-up, review criteria, personal data, and what the public is told."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from complaints.clock import WorkingCalendar
from complaints.enums import Grade


class EscalationLevel(BaseModel):
    """Who is told when a step is this many hours past its due time."""

    after_hours: float = Field(ge=0)
    people: list[str] = Field(min_length=1)


class DueHours(BaseModel):
    """How long each kind of step may take: from receipt (assessment, containment) or
    from the step's opening (the others), on the policy's clock."""

    # A misspelt step name would otherwise silently keep its default.
    model_config = ConfigDict(extra="forbid")

    assessment: float = Field(default=24, gt=0)
    info_request: float = Field(default=72, gt=0)
    not_ours_approval: float = Field(default=24, gt=0)
    containment: float = Field(default=48, gt=0)
    # The minutes of the second (root-cause) meeting, from when that step opens.
    action_plan: float = Field(default=72, gt=0)
    # The handler's answer to the complainant, and a quality lead's approval of it.
    response: float = Field(default=72, gt=0)
    response_approval: float = Field(default=24, gt=0)
    # The complainant's decision on the answer, and their survey (two weeks).
    response_decision: float = Field(default=336, gt=0)
    survey: float = Field(default=336, gt=0)
    # The quality lead's effectiveness check, from when it is asked for.
    effectiveness: float = Field(default=120, gt=0)


# An empty ladder for a grade would be ambiguous (no escalation, or the default?): refused.
Ladder = Annotated[list[EscalationLevel], Field(min_length=1)]


class DeadlinePolicy(BaseModel):
    """When steps are due, who is reminded before, and who hears when one is overdue."""

    # "business": only the working time of ``working`` counts towards a due time.
    clock: Literal["calendar", "business"] = "calendar"
    working: WorkingCalendar = Field(default_factory=WorkingCalendar)
    due_hours: DueHours = Field(default_factory=DueHours)
    # Overrides ``due_hours.containment`` once the grade is known.
    containment_hours_by_grade: dict[Grade, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict
    )
    reminders_before_hours: list[float] = Field(default_factory=lambda: [4.0, 1.0])
    # Empty: the quality leads, at the due time.
    escalation: list[EscalationLevel] = Field(default_factory=list)
    # A grade's own ladder replaces ``escalation`` for complaints of that grade.
    escalation_by_grade: dict[Grade, Ladder] = Field(default_factory=dict)
    # True: the clock stands still while the flow waits for the complainant's answer.
    pause_for_complainant: bool = False
    # A status email to the complainant after this many days without visible progress
    # (0: never).
    status_every_days: float = Field(default=3, ge=0)

    @field_validator("escalation_by_grade", mode="before")
    @classmethod
    def _unwrap_ladders(cls, value: Any) -> Any:
        # TOML also allows ``[deadlines.escalation_by_grade.<grade>]`` with a ``ladder`` key.
        if not isinstance(value, dict):
            return value
        return {
            grade: ladder["ladder"]
            if isinstance(ladder, dict) and set(ladder) == {"ladder"}
            else ladder
            for grade, ladder in value.items()
        }


class FollowUpPolicy(BaseModel):
    """After the answer: the survey, the effectiveness check, and how many rounds."""

    model_config = ConfigDict(extra="forbid")

    # The satisfaction survey goes out this long after the complainant accepts.
    survey_after_days: float = Field(default=14, ge=0)
    # The effectiveness check is asked for this long after the last action is done.
    effectiveness_after_days: float = Field(default=30, ge=0)
    # Answers the complainant may turn down before they are pointed to external dispute
    # resolution (ISO 10003).
    response_rounds: int = Field(default=3, ge=1)
    # The improvement action a dissatisfied survey creates is due this many days later.
    improvement_days: float = Field(default=30, gt=0)
    # Where a complainant who stays dissatisfied can turn (shown on their pages).
    dispute_resolution: str = ""


class ReviewCriteria(BaseModel):
    """What the trend analysis measures against (ISO 10002 8.2, 8.4)."""

    model_config = ConfigDict(extra="forbid")

    # The acknowledgement should reach the complainant within this many hours.
    acknowledgement_hours: float = Field(default=1, gt=0)
    # Complaints on one product family with one cause category this close together
    # are recurring, when there are at least ``recurrence_at_least`` of them.
    recurrence_window_days: int = Field(default=90, ge=1)
    recurrence_at_least: int = Field(default=2, ge=2)
    # How many earlier periods the trend shows beside the reviewed one.
    previous_periods: int = Field(default=5, ge=0, le=24)
    # The daily trend alert: this many complaints on one product family with one cause
    # category within this many days tell the quality leads (once per window).
    alert_at_least: int = Field(default=3, ge=2)
    alert_window_days: int = Field(default=30, ge=1)


class PrivacyPolicy(BaseModel):
    """How long personal data is kept (ISO 10002 confidentiality; PIPL and the GDPR:
    no longer than the purpose needs)."""

    model_config = ConfigDict(extra="forbid")

    # The complainant's personal data is erased this long after their complaint closed;
    # IP addresses in audit events go this long after they were recorded.
    keep_personal_data_days: int = Field(default=3 * 365, ge=1)
    # Uploaded files (photos, evidence) go this long after their complaint closed.
    keep_uploads_days: int = Field(default=365, ge=1)
    # Complaints erased per transaction of the retention job.
    batch: int = Field(default=100, ge=1)


class PublicInfo(BaseModel):
    """What the public pages say (ISO 10002 7.1: where and how to complain): the products
    the form offers, the external body (ISO 10003), whom to ask about personal data."""

    model_config = ConfigDict(extra="forbid")

    # Offered as choices in the complaint form (any other product may be typed).
    products: list[str] = Field(default_factory=list)
    # An external dispute-resolution body a complainant may turn to (ISO 10003).
    external_body: str = ""
    external_body_url: str = ""
    # Whom to ask about one's personal data (an address or a desk).
    privacy_contact: str = ""
