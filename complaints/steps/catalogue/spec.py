"""What a step kind is, in one place: its contract, its stage, who is asked, what it
shows, when it is due, the email that asks for it, what its link may do, where its
files go and the meeting it takes the minutes of.

Generic code (opening a step, its request email, its page, its form, the deadline watch)
looks a kind up in the catalogue and never branches on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy.orm import Session

from complaints import repository
from complaints.enums import LinkAction, MeetingPurpose, Stage, StepKind
from complaints.mail.addresses import addressee
from complaints.mail.emails import StepRequest
from complaints.models import Complaint, Step
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.contracts import StepInput

C = TypeVar("C", bound=StepInput)


class Refs(BaseModel):
    """What a step is about: the keys of the earlier steps its details come from (the
    flow passes keys only; the text stays in our database)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Details(BaseModel):
    """What a step shows its assignee, kept with the step (``Step.details``)."""

    # Later changes add their own keys (a quality lead's reassignment, the clock paused).
    model_config = ConfigDict(extra="allow")

    # A step asked for later (the survey, the effectiveness check): when its request goes
    # out; until then it is open but nobody has been asked.
    request_at: AwareDatetime | None = None


R = TypeVar("R", bound=Refs)
D = TypeVar("D", bound=Details)


@dataclass(frozen=True)
class Source:
    """What building a step reads: the session, its complaint and the organization."""

    session: Session
    complaint: Complaint
    org: Organization

    def decided(self, key: str) -> Step:
        """Return an earlier step of the complaint, which must have been decided."""
        step = repository.get_step(self.session, self.complaint.id, key)
        if step is None or step.decision is None:
            raise LookupError(f"step {key} of {self.complaint.id} has no decision")
        return step

    def decision(self, key: str, contract: type[C]) -> C:
        """Return an earlier step's decision, as its contract."""
        return contract.model_validate(self.decided(key).decision)

    def name_of(self, key: str) -> str:
        """Return the name of a person key (the complainant's, for theirs)."""
        return addressee(self.org, self.complaint, key).name


@dataclass(frozen=True)
class Request(Generic[D]):
    """What a step's request email is built from: the step, its details, and the fields
    every request shares (reference, recipient, organization, product, due time, link)."""

    source: Source
    step: Step
    details: D
    settings: Settings
    common: dict[str, Any]
    # A quality lead gave the step (an action) to this owner.
    reassigned: bool = False


class FormReader(Protocol):
    """What a step's page posted: text fields, some repeated."""

    def get(self, name: str, default: str = "") -> str: ...

    def getlist(self, name: str) -> list[str]: ...


def at_once(org: Organization, details: Details) -> datetime | None:
    """A step asked for when it opens."""
    return None


def nothing_else(
    session: Session, step: Step, decision: Any, decided_by: str, decided_at: datetime
) -> None:
    """A decision that changes nothing but its step."""


def no_rules(step: Step, decision: Any) -> dict[str, str]:
    """A decision whose contract's own checks are all its rules."""
    return {}


def no_more_checks(fields: dict[str, Any], org: Organization) -> dict[str, str]:
    """A step whose fields name nothing of the organization file but people."""
    return {}


@dataclass(frozen=True)
class StepSpec(Generic[R, D]):
    """One step kind (see the module)."""

    kind: StepKind
    # What the step's decision is (the flow waits for it; the page posts it).
    contract: type[StepInput]
    # The stage a complaint enters when the step opens (never back).
    stage: Stage
    refs: type[R]
    details_model: type[D]
    # What the step shows, from the earlier steps its refs name.
    details: Callable[[Source, R], D]
    # Who is asked: a person key of the organization file, or the complainant.
    assignee: Callable[[Source, D], str]
    # When it is due, for a step opened at the given moment.
    due: Callable[[Source, D, datetime], datetime]
    # The email that asks the assignee, with the step's link.
    request: Callable[[Request[D]], StepRequest]
    # When the request goes out, if not at once (then the deadline watch sends it).
    asked_at: Callable[[Organization, D], datetime | None] = at_once
    link_actions: tuple[LinkAction, ...] = (LinkAction.DECIDE,)
    # The contract field that lists the files the step's form takes (None: no files).
    uploads_into: str | None = None
    # The meeting whose minutes the step takes.
    meeting: MeetingPurpose | None = None
    # The contract's fields from the page's form (None: field by field, see forms).
    read_form: Callable[[FormReader, ZoneInfo], dict[str, Any]] | None = None
    # Keys of the organization file the fields name besides people (a category).
    org_problems: Callable[[dict[str, Any], Organization], dict[str, str]] = no_more_checks
    # Rules a decision must meet that depend on earlier steps (the plan and the scope).
    decision_problems: Callable[[Step, Any], dict[str, str]] = no_rules
    # What a decision changes on the complaint besides its step (the assessment's grade).
    on_decided: Callable[[Session, Step, Any, str, datetime], None] = nothing_else

    def details_of(self, step: Step) -> D:
        """Return what a step of this kind shows, as its model."""
        return self.details_model.model_validate(step.details or {})
