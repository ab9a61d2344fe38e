"""What the root cause's steps receive (the corrective-action loop, 3-4; ISO 10002 7.6):
the analysis, and the second meeting's action plan with the rule of the problem's scope."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from complaints.enums import ActionType, IshikawaCategory, ProblemScope
from complaints.meetings.plans import MeetingPlan
from complaints.steps.contracts.base import PersonKey, StepInput, field_error


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
