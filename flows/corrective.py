"""The root cause and the corrective actions (the corrective-action loop, 3-4; ISO 10002
7.6): the analysis, the second meeting, and every action of its plan (or of a new plan)
done."""

from __future__ import annotations

import uuid

from complaints.enums import MeetingPurpose, StepKind
from complaints.steps.catalogue.corrective import ActionRefs
from complaints.steps.catalogue.root_cause import ActionPlanRefs, CauseAnalysisRefs
from complaints.steps.contracts import ActionPlan, ActionReport, CauseAnalysis
from flows.human_step import await_decision, open_waiting_step, step_key, wait_for
from tasks.containment import convene_meeting
from tasks.corrective import complete_actions, return_to_actions, send_action_plan_overview
from tasks.mail import deliver_mail


async def correct(complaint_id: uuid.UUID) -> None:
    """Find the root cause, hold the second meeting, wait until every action is done."""
    analysis_key = step_key(StepKind.CAUSE_ANALYSIS)
    await await_decision(
        complaint_id,
        StepKind.CAUSE_ANALYSIS,
        CauseAnalysis,
        refs=CauseAnalysisRefs(minutes_step=step_key(StepKind.CONTAINMENT)),
    )
    convened = convene_meeting(complaint_id, MeetingPurpose.ROOT_CAUSE, analysis_key)
    if convened.message_ids:
        await deliver_mail(convened.message_ids)
    await act(complaint_id, 1)


async def act(complaint_id: uuid.UUID, plan_round: int, why: ActionPlanRefs | None = None) -> None:
    """Take an action plan (the second meeting's, or a new one), then wait until each of
    its actions is done. ``why`` points at what asked for a new plan."""
    plan_key = step_key(StepKind.ACTION_PLAN, plan_round)
    if plan_round > 1:
        return_to_actions(complaint_id, plan_key)
    plan = await await_decision(
        complaint_id, StepKind.ACTION_PLAN, ActionPlan, round_=plan_round, refs=why
    )

    # Every action has one owner and a due date (corrective-action loop, 4); the quality
    # leads get the list with a link to reassign an action or move its date.
    keys = [
        await open_waiting_step(
            complaint_id,
            StepKind.ACTION,
            refs=ActionRefs(plan_step=plan_key, index=index),
            key=action_key(plan_round, index),
        )
        for index in range(len(plan.actions))
    ]
    await deliver_mail(send_action_plan_overview(complaint_id, plan_key, keys))
    for key in keys:
        await wait_for(complaint_id, key, ActionReport)
    await deliver_mail(complete_actions(complaint_id, plan_key))


def action_key(plan_round: int, index: int) -> str:
    """Return the key of an action: ``action-2`` of the first plan, ``action-2-1`` of the
    second, and so on."""
    if plan_round == 1:
        return step_key(StepKind.ACTION, index + 1)
    return step_key(StepKind.ACTION, plan_round, index + 1)
