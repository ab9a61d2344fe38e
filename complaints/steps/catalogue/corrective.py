"""The corrective actions' steps (the corrective-action loop, 4): one per action of a
plan, each with one owner and a due date; and the improvement action a dissatisfied
survey asks of the handler's department (ISO 10002 8.3)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AwareDatetime

from complaints.enums import ActionType, EmailKind, Stage, StepKind
from complaints.mail.emails import StepRequest
from complaints.steps.catalogue.spec import Details, Refs, Source, StepSpec
from complaints.steps.contracts import ActionPlan, ActionReport, SurveyAnswer


class ActionRefs(Refs):
    # An action of a plan: the plan's step and the action's place in it ...
    plan_step: str | None = None
    index: int | None = None
    # ... or the improvement a dissatisfied survey asked for.
    survey_step: str | None = None


class ActionDetails(Details):
    type: ActionType
    description: str
    owner: str
    due_at: AwareDatetime
    index: int | None = None
    plan_step: str | None = None
    survey_step: str | None = None
    # How often a quality lead gave it to another owner.
    reassigned: int = 0


class ActionRequestContext(StepRequest):
    kind = EmailKind.ACTION_REQUEST
    subject = "Corrective action for you: complaint %(reference)s"

    action_type: str
    action: str
    # The action came from another owner (a quality lead reassigned it).
    reassigned: bool = False


def _action(source: Source, refs: ActionRefs) -> ActionDetails:
    if refs.survey_step:
        survey = source.decided(refs.survey_step)
        answer = SurveyAnswer.model_validate(survey.decision)
        assert survey.decided_at is not None
        days = source.org.follow_up.improvement_days
        return ActionDetails(
            type=ActionType.CORRECTIVE,
            description=f"{answer.score}/5: {answer.comment}",
            owner=source.complaint.handler,
            due_at=survey.decided_at + timedelta(days=days),
            survey_step=refs.survey_step,
        )
    assert refs.plan_step is not None and refs.index is not None, "an action of a plan"
    action = source.decision(refs.plan_step, ActionPlan).actions[refs.index]
    return ActionDetails(**action.model_dump(), index=refs.index, plan_step=refs.plan_step)


ACTION = StepSpec(
    kind=StepKind.ACTION,
    contract=ActionReport,
    stage=Stage.CORRECTIVE_ACTION,
    refs=ActionRefs,
    details_model=ActionDetails,
    details=_action,
    assignee=lambda source, details: details.owner,
    # Due when the plan says (a quality lead may move it).
    due=lambda source, details, opened_at: details.due_at,
    request=lambda request: ActionRequestContext(
        **request.common,
        action_type=request.details.type.value,
        action=request.details.description,
        reassigned=request.reassigned,
    ),
    uploads_into="evidence",
)
