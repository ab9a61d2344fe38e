"""The organization file: people, departments, quality leads (TOML)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from complaints.clock import WorkingCalendar, add_hours
from complaints.enums import Grade, Locale
from complaints.taxonomy import Classification


class Person(BaseModel):
    key: str
    name: str
    email: EmailStr
    locale: Locale = Locale.EN
    timezone: str | None = None


class Department(BaseModel):
    key: str
    name: str
    handlers: list[str] = Field(min_length=1)
    # Product names or keywords this department owns (matched case-insensitively).
    products: list[str] = Field(default_factory=list)


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


class Organization(BaseModel):
    name: str
    timezone: str = "UTC"
    default_department: str
    quality_leads: list[str] = Field(min_length=1)
    # Who watches the system in the Prefect UI and gets its automations' alerts by
    # email ([operators] people); the quality leads when none are named.
    operators: list[str] = Field(default_factory=list)
    # Who records complaints received by phone, by letter or in person ([front_desk]
    # people), signed in like the quality leads.
    front_desk: list[str] = Field(default_factory=list)
    people: dict[str, Person]
    departments: dict[str, Department]
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy)
    follow_up: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    classification: Classification = Field(default_factory=Classification)
    reviews: ReviewCriteria = Field(default_factory=ReviewCriteria)
    privacy: PrivacyPolicy = Field(default_factory=PrivacyPolicy)
    public: PublicInfo = Field(default_factory=PublicInfo)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _references_resolve(self) -> Organization:
        if self.default_department not in self.departments:
            raise ValueError(f"default_department {self.default_department!r} is not defined")
        named = [h for d in self.departments.values() for h in d.handlers] + self.quality_leads
        named += self.operators + self.front_desk
        named += [p for level in self.deadlines.escalation for p in level.people]
        named += [
            p
            for ladder in self.deadlines.escalation_by_grade.values()
            for level in ladder
            for p in level.people
        ]
        missing = sorted({key for key in named if key not in self.people})
        if missing:
            raise ValueError(f"people not defined: {', '.join(missing)}")
        return self

    @property
    def staff(self) -> list[str]:
        """Return who may sign in: the quality leads (reviews, front desk) and the front
        desk (its page only)."""
        return list(dict.fromkeys(self.quality_leads + self.front_desk))

    @property
    def alerted_operators(self) -> list[str]:
        """Return who gets the automations' alerts: the operators, else the quality leads."""
        return self.operators or self.quality_leads

    def person(self, key: str) -> Person:
        """Return a person by key."""
        return self.people[key]

    def department_for(self, product: str) -> Department:
        """Return the department that owns a product, or the default one."""
        wanted = product.casefold()
        for department in self.departments.values():
            if any(p.casefold() in wanted for p in department.products):
                return department
        return self.departments[self.default_department]

    @property
    def business_hours(self) -> bool:
        """Whether due times count only working hours."""
        return self.deadlines.clock == "business"

    def due_after(self, start: datetime, hours: float) -> datetime:
        """Return the due time ``hours`` after ``start`` on the policy's clock (in UTC)."""
        return add_hours(
            start,
            hours,
            business=self.business_hours,
            calendar=self.deadlines.working,
            zone=ZoneInfo(self.timezone),
        )

    def containment_hours(self, grade: Grade | None) -> float:
        """Return the hours the containment meeting may take for a grade (None: not known)."""
        by_grade = self.deadlines.containment_hours_by_grade
        if grade is not None and grade in by_grade:
            return by_grade[grade]
        return self.deadlines.due_hours.containment

    def escalation_ladder(self, grade: Grade | None = None) -> list[EscalationLevel]:
        """Return the escalation levels for a grade, lowest first.

        A grade without its own ladder gets the general one; without that, the quality
        leads at the due time.
        """
        by_grade = self.deadlines.escalation_by_grade
        if grade is not None and grade in by_grade:
            ladder = by_grade[grade]
        else:
            ladder = self.deadlines.escalation or [
                EscalationLevel(after_hours=0, people=self.quality_leads)
            ]
        return sorted(ladder, key=lambda level: level.after_hours)

    def zone_of(self, person: Person | None = None) -> ZoneInfo:
        """Return a person's time zone, or the organization's."""
        return ZoneInfo((person.timezone if person else None) or self.timezone)


def parse_organization(text: str) -> Organization:
    """Parse the TOML text of an organization file."""
    raw = tomllib.loads(text)
    org = raw.get("organization", {})
    people = {k: {"key": k, **v} for k, v in raw.get("people", {}).items()}
    departments = {k: {"key": k, **v} for k, v in raw.get("departments", {}).items()}
    return Organization.model_validate(
        {
            **org,
            "quality_leads": raw.get("quality", {}).get("leads", []),
            "operators": raw.get("operators", {}).get("people", []),
            "front_desk": raw.get("front_desk", {}).get("people", []),
            "deadlines": raw.get("deadlines", {}),
            "follow_up": raw.get("follow_up", {}),
            "classification": raw.get("classification", {}),
            "reviews": raw.get("reviews", {}),
            "privacy": raw.get("privacy", {}),
            "public": raw.get("public", {}),
            "people": people,
            "departments": departments,
        }
    )


@lru_cache
def load_organization(path: Path) -> Organization:
    """Load and validate the organization file at ``path``."""
    return parse_organization(path.read_text(encoding="utf-8"))
