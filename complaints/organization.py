"""The organization file: people, departments, quality leads (TOML)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

from complaints.enums import Locale


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


class DeadlinePolicy(BaseModel):
    """When the owner of a waiting step is reminded, and who hears when it is overdue."""

    reminders_before_hours: list[float] = Field(default_factory=lambda: [4.0, 1.0])
    # Empty: the quality leads, at the due time.
    escalation: list[EscalationLevel] = Field(default_factory=list)


class Organization(BaseModel):
    name: str
    timezone: str = "UTC"
    default_department: str
    quality_leads: list[str] = Field(min_length=1)
    people: dict[str, Person]
    departments: dict[str, Department]
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy)

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
        named += [p for level in self.deadlines.escalation for p in level.people]
        missing = sorted({key for key in named if key not in self.people})
        if missing:
            raise ValueError(f"people not defined: {', '.join(missing)}")
        return self

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

    def escalation_ladder(self) -> list[EscalationLevel]:
        """Return the escalation levels, lowest first (default: quality leads at the due time)."""
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
            "deadlines": raw.get("deadlines", {}),
            "people": people,
            "departments": departments,
        }
    )


@lru_cache
def load_organization(path: Path) -> Organization:
    """Load and validate the organization file at ``path``."""
    return parse_organization(path.read_text(encoding="utf-8"))
