"""What each waiting step receives: the contract between the flow and the web app.

The flow passes these models to ``suspend_flow_run(wait_for_input=...)``; Prefect turns
them into RunInput forms (so an operator can also resume from the Prefect UI), and the
web app posts the same fields when a person decides through an email link. Files are
uploaded through the web app and referenced here by id only.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from complaints.enums import (
    ActionType,
    DecisionChannel,
    Grade,
    IshikawaCategory,
    MeasureType,
    ProblemScope,
    StepKind,
)

PersonKey = str
# What the run receives in place of a private field (the flow reads our database).
REDACTED = "(kept in the complaints database)"


def field_error(field: str, message: str) -> ValueError:
    """Return a check across fields that names the field to fix (``field: message``)."""
    return ValueError(f"{field}: {message}")


class StepInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    # Fields that may hold the complainant's personal data: never sent to Prefect.
    private_fields: ClassVar[frozenset[str]] = frozenset()

    # Who resumed the run: the web app says "email_link"; left alone in the Prefect UI.
    decided_via: DecisionChannel = DecisionChannel.PREFECT_UI


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


class AssessmentDecision(StepInput, MeetingPlan):
    """The initial assessment (ISO 10002 7.5), or a question to the complainant first.

    Ours: the meeting fields convene the urgent containment meeting.
    """

    question: str = Field(
        "",
        max_length=4000,
        description="Ask the complainant for more information instead of deciding now",
    )
    ours: bool | None = Field(None, description="Is the problem ours (our product or service)?")
    valid: bool | None = Field(None, description="Is the complaint valid?")
    grade: Grade | None = Field(None, description="grumble, complaint or major complaint")
    # A key of the organization file's classification (ISO 10002 8.2); empty: unclassified.
    category: str = Field("", max_length=64, description="Complaint category")
    safety_relevant: bool = Field(False, description="Could the problem hurt someone?")
    immediate_action: str = Field("", max_length=4000, description="Action already taken")
    comment: str = Field("", max_length=4000, description="Internal note")
    explanation: str = Field(
        "", max_length=8000, description="What the complainant is told when it is not ours"
    )

    @model_validator(mode="after")
    def _complete(self) -> AssessmentDecision:
        if self.asks_complainant:
            return self
        missing = [name for name in ("ours", "valid", "grade") if getattr(self, name) is None]
        if missing:
            raise field_error(missing[0], "answer this (or ask the complainant a question)")
        if self.ours is False and not self.explanation:
            raise field_error("explanation", "explain to the complainant why it is not ours")
        if self.ours and self.meeting_at is None:
            raise field_error("meeting_at", "set the time of the containment meeting")
        return self

    @property
    def asks_complainant(self) -> bool:
        """Whether the handler asked the complainant for more information."""
        return bool(self.question)


class InfoResponse(StepInput):
    """The complainant's answer to the handler's question, with any uploaded files."""

    private_fields: ClassVar[frozenset[str]] = frozenset({"answer"})

    answer: str = Field(min_length=1, max_length=8000, description="The complainant's answer")
    files: list[uuid.UUID] = Field(default_factory=list, description="Uploaded attachment ids")


class NotOursApproval(StepInput):
    """A quality lead's approval of the explanation of a major complaint that is not ours."""

    approved: bool = Field(description="Send the explanation to the complainant?")
    explanation: str = Field("", max_length=8000, description="The explanation, as sent")
    comment: str = Field("", max_length=4000, description="Why not (sent back to the handler)")

    @model_validator(mode="after")
    def _complete(self) -> NotOursApproval:
        if self.approved and not self.explanation:
            raise field_error("explanation", "the explanation the complainant receives is empty")
        if not self.approved and not self.comment:
            raise field_error("comment", "tell the handler why the explanation is not approved")
        return self


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


class CauseAnalysis(StepInput, MeetingPlan):
    """The root cause (corrective-action loop, 3-4; ISO 10002 7.6): a 5-Why chain, its
    Ishikawa category, and its scope."""

    whys: list[str] = Field(min_length=1, max_length=7, description="Why? ... (5-Why chain)")
    root_cause: str = Field(min_length=1, max_length=4000, description="The root cause")
    category: IshikawaCategory
    scope: ProblemScope
    affected_batches: str = Field("", max_length=2000, description="Which batches share it")
    affected_period: str = Field("", max_length=200, description="Which period shares it")
    evidence: list[uuid.UUID] = Field(default_factory=list, description="Uploaded attachment ids")

    @model_validator(mode="after")
    def _complete(self) -> CauseAnalysis:
        if any(not why.strip() for why in self.whys):
            raise field_error("whys", "every why needs an answer")
        if self.scope is ProblemScope.SYSTEMIC and not (
            self.affected_batches or self.affected_period
        ):
            raise field_error("affected_batches", "say which batches or which period share it")
        if self.meeting_at is None:
            raise field_error("meeting_at", "set the time of the second meeting")
        return self


class PlannedAction(BaseModel):
    """One action of the second meeting: what, who (one owner), by when."""

    model_config = ConfigDict(str_strip_whitespace=True)

    type: ActionType
    description: str = Field(min_length=1, max_length=2000)
    owner: PersonKey = Field(min_length=1, max_length=64)
    due_at: AwareDatetime


class ActionPlan(StepInput):
    """The minutes of the second meeting: the actions it decided (corrective-action loop, 4)."""

    summary: str = Field("", max_length=8000, description="What the meeting decided")
    actions: list[PlannedAction] = Field(min_length=1, max_length=15)

    @model_validator(mode="after")
    def _improves(self) -> ActionPlan:
        if not any(a.type in IMPROVEMENTS for a in self.actions):
            raise field_error("actions", "add at least one corrective or preventive action")
        return self


# Actions that change how things are done, so the problem does not happen again.
IMPROVEMENTS = frozenset({ActionType.CORRECTIVE, ActionType.PREVENTIVE, ActionType.DESIGN_FEEDBACK})
# What a problem shared by earlier products needs besides improvements (corrective-action loop, 4b).
SHARED_PROBLEM_ACTIONS = frozenset(
    {ActionType.NOTIFY_CUSTOMERS, ActionType.REWORK, ActionType.STOCK_SPARES, ActionType.RECALL}
)


def plan_problems(plan: ActionPlan, scope: ProblemScope) -> dict[str, str]:
    """Return what an action plan lacks for the problem's scope (field: message)."""
    types = {a.type for a in plan.actions}
    if scope is ProblemScope.SYSTEMIC and not types & SHARED_PROBLEM_ACTIONS:
        return {
            "actions": "the problem is shared: decide how the other affected customers and "
            "products are dealt with (notify, rework, spare parts or recall)"
        }
    if scope is ProblemScope.SINGLE and ActionType.HANDLE_EVENT not in types:
        return {"actions": "a single event: say how it is handled"}
    return {}


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


class ResponseDraft(StepInput):
    """The answer to the complainant (ISO 10002 7.7): the remedy, what was done, and
    what will keep it from happening again."""

    # Written to the complainant, so it may name them: kept out of Prefect.
    private_fields: ClassVar[frozenset[str]] = frozenset({"remedy", "actions_taken", "prevention"})

    remedy: str = Field(min_length=1, max_length=8000, description="The remedy offered")
    actions_taken: str = Field(min_length=1, max_length=8000, description="What was done")
    prevention: str = Field(
        min_length=1, max_length=8000, description="What will prevent it happening again"
    )


class ResponseApproval(StepInput):
    """A quality lead's approval of the answer to a major complaint (edits allowed)."""

    private_fields: ClassVar[frozenset[str]] = ResponseDraft.private_fields

    approved: bool = Field(description="Send the answer to the complainant?")
    remedy: str = Field("", max_length=8000, description="The remedy, as sent")
    actions_taken: str = Field("", max_length=8000, description="What was done, as sent")
    prevention: str = Field("", max_length=8000, description="Prevention, as sent")
    comment: str = Field("", max_length=4000, description="Why not (sent back to the handler)")

    @model_validator(mode="after")
    def _complete(self) -> ResponseApproval:
        if self.approved:
            for name in ("remedy", "actions_taken", "prevention"):
                if not getattr(self, name):
                    raise field_error(name, "the answer the complainant receives needs this")
        elif not self.comment:
            raise field_error("comment", "tell the handler why the answer is not approved")
        return self


class ResponseDecision(StepInput):
    """The complainant accepts the answer, or says why they are not satisfied."""

    private_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    accepted: bool = Field(description="Does the complainant accept the answer?")
    reason: str = Field("", max_length=8000, description="Why not (the complainant's words)")

    @model_validator(mode="after")
    def _complete(self) -> ResponseDecision:
        if not self.accepted and not self.reason:
            raise field_error("reason", "tell us what is still wrong")
        return self


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


class MeetingChange(BaseModel):
    """A meeting moved by its organizer."""

    model_config = ConfigDict(str_strip_whitespace=True)

    starts_at: AwareDatetime
    minutes: int = Field(60, ge=15, le=480)
    location: str = Field("", max_length=200)


STEP_INPUTS: dict[StepKind, type[StepInput]] = {
    StepKind.ASSESSMENT: AssessmentDecision,
    StepKind.INFO_REQUEST: InfoResponse,
    StepKind.NOT_OURS_APPROVAL: NotOursApproval,
    StepKind.CONTAINMENT: ContainmentMinutes,
    StepKind.MEASURE: MeasureReport,
    StepKind.CAUSE_ANALYSIS: CauseAnalysis,
    StepKind.ACTION_PLAN: ActionPlan,
    StepKind.ACTION: ActionReport,
    StepKind.RESPONSE: ResponseDraft,
    StepKind.RESPONSE_APPROVAL: ResponseApproval,
    StepKind.RESPONSE_DECISION: ResponseDecision,
    StepKind.SURVEY: SurveyAnswer,
    StepKind.EFFECTIVENESS: EffectivenessCheck,
}
