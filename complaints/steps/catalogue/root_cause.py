"""The root cause's steps (the corrective-action loop, 3-4; ISO 10002 7.6): the analysis by
the analyst the containment minutes named, and the second meeting's action plan (again,
when the actions did not work or the complaint was reopened)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from complaints.enums import EmailKind, LinkAction, MeetingPurpose, ProblemScope, Stage, StepKind
from complaints.mail.emails import StepRequest
from complaints.meetings import service as meetings
from complaints.models import Step
from complaints.steps.catalogue.spec import (
    Details,
    FormReader,
    Refs,
    Request,
    Source,
    StepSpec,
)
from complaints.steps.contracts import (
    ActionPlan,
    CauseAnalysis,
    ContainmentMinutes,
    EffectivenessCheck,
    plan_problems,
)
from complaints.steps.forms import local_moment, rows
from complaints.steps.history import latest_decision, reopenings

MAX_WHYS = 5


class CauseAnalysisRefs(Refs):
    # The containment minutes that arranged the analysis.
    minutes_step: str


class CauseAnalysisDetails(Details):
    analyst: str
    due_at: AwareDatetime
    scope: str
    method: str


class CauseAnalysisRequestContext(StepRequest):
    kind = EmailKind.CAUSE_ANALYSIS_REQUEST
    subject = "Root cause analysis for you: complaint %(reference)s"

    scope: str
    method: str


def _cause_form(form: FormReader, zone: ZoneInfo) -> dict[str, Any]:
    whys = [form.get(f"why-{n}") for n in range(1, MAX_WHYS + 1)]
    return {
        "whys": [why for why in whys if why],
        "root_cause": form.get("root_cause"),
        "category": form.get("category") or None,
        "scope": form.get("scope") or None,
        "affected_batches": form.get("affected_batches"),
        "affected_period": form.get("affected_period"),
        "meeting_at": local_moment(form.get("meeting_at"), zone),
        "meeting_minutes": form.get("meeting_minutes") or 60,
        "meeting_location": form.get("meeting_location"),
        "attendees": form.getlist("attendees"),
    }


CAUSE_ANALYSIS = StepSpec(
    kind=StepKind.CAUSE_ANALYSIS,
    contract=CauseAnalysis,
    stage=Stage.ROOT_CAUSE,
    refs=CauseAnalysisRefs,
    details_model=CauseAnalysisDetails,
    details=lambda source, refs: CauseAnalysisDetails(
        **source.decision(refs.minutes_step, ContainmentMinutes).analysis.model_dump()
    ),
    assignee=lambda source, details: details.analyst,
    # Due when the containment minutes say.
    due=lambda source, details, opened_at: details.due_at,
    request=lambda request: CauseAnalysisRequestContext(
        **request.common, scope=request.details.scope, method=request.details.method
    ),
    uploads_into="evidence",
    read_form=_cause_form,
)


class ActionPlanRefs(Refs):
    # A new plan: the effectiveness check that found the actions did not work ...
    effectiveness_step: str | None = None
    # ... or the reopening (its number) that asked for more.
    reopening: int | None = None


class ActionPlanDetails(Details):
    # Why a new plan is needed; a new plan is not held to the scope rule again.
    why: str = ""
    again: bool = False


class ActionPlanRequestContext(StepRequest):
    kind = EmailKind.ACTION_PLAN_REQUEST
    subject = "Actions to decide: complaint %(reference)s"

    root_cause: str
    problem_scope: str
    meeting_at: datetime
    meeting_location: str
    # A new plan: why (the effectiveness check found a recurrence, or a reopening).
    why_again: str = ""


def _plan(source: Source, refs: ActionPlanRefs) -> ActionPlanDetails:
    if refs.effectiveness_step:
        check = source.decision(refs.effectiveness_step, EffectivenessCheck)
        return ActionPlanDetails(why=check.comment, again=True)
    if refs.reopening:
        reopened = reopenings(source.session, source.complaint.id)[refs.reopening - 1]
        return ActionPlanDetails(why=str(reopened.data.get("reason", "")), again=True)
    return ActionPlanDetails()


def _plan_request(request: Request[ActionPlanDetails]) -> ActionPlanRequestContext:
    source = request.source
    meeting = meetings.find(source.session, source.complaint.id, MeetingPurpose.ROOT_CAUSE)
    analysis = latest_decision(source.complaint, StepKind.CAUSE_ANALYSIS, CauseAnalysis)
    assert meeting is not None, "the root-cause meeting is convened before its minutes"
    assert analysis is not None, "the root cause is known before the actions"
    return ActionPlanRequestContext(
        **request.common,
        root_cause=analysis.root_cause,
        problem_scope=analysis.scope.value,
        meeting_at=meeting.starts_at,
        meeting_location=meeting.location,
        why_again=request.details.why,
    )


def _plan_problems(step: Step, plan: ActionPlan) -> dict[str, str]:
    """What an action plan lacks for the problem's scope, by field.

    The second meeting's plan answers the root cause's scope (the corrective-action loop,
    4: a shared problem needs more than a single event does); a later plan (the actions
    did not work, or a reopening) adds to the first and is not held to it again.
    """
    if ActionPlanDetails.model_validate(step.details or {}).again:
        return {}
    analysis = latest_decision(step.complaint, StepKind.CAUSE_ANALYSIS, CauseAnalysis)
    return plan_problems(plan, analysis.scope if analysis else ProblemScope.SINGLE)


ACTION_PLAN = StepSpec(
    kind=StepKind.ACTION_PLAN,
    contract=ActionPlan,
    stage=Stage.ROOT_CAUSE,
    refs=ActionPlanRefs,
    details_model=ActionPlanDetails,
    details=_plan,
    # The second meeting's organizer submits the actions it decided.
    assignee=lambda source, details: meetings.organizer_of(
        source.session, source.complaint, MeetingPurpose.ROOT_CAUSE
    ),
    due=lambda source, details, opened_at: source.org.due_after(
        opened_at, source.org.deadlines.due_hours.action_plan
    ),
    request=_plan_request,
    link_actions=(LinkAction.DECIDE, LinkAction.RESCHEDULE),
    meeting=MeetingPurpose.ROOT_CAUSE,
    read_form=lambda form, zone: {
        "summary": form.get("summary"),
        "actions": rows(form, "action", zone),
    },
    decision_problems=_plan_problems,
)
