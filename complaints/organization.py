"""The organization file: people, departments, quality leads (TOML)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

from complaints.clock import add_hours
from complaints.enums import Grade, Locale
from complaints.policies import (
    DeadlinePolicy,
    FollowUpPolicy,
    PrivacyPolicy,
    PublicInfo,
    ReviewCriteria,
)
from complaints.policies import EscalationLevel as EscalationLevel
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

    def name_of(self, key: str) -> str:
        """Return a person's name, or the key itself of one the file no longer names
        (records outlive the people in the organization file)."""
        person = self.people.get(key)
        return person.name if person else key

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
