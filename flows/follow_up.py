"""The follow-up (the corrective-action loop, 6; ISO 10002 8.3, 7.9): the satisfaction
survey, the effectiveness check until the actions work, and closing (again, if a quality
lead reopens the complaint)."""

from __future__ import annotations

import uuid

from prefect import get_run_logger

from complaints.enums import Resolution, StepKind
from complaints.steps.catalogue.corrective import ActionRefs
from complaints.steps.catalogue.follow_up import EffectivenessRefs, SurveyRefs
from complaints.steps.catalogue.root_cause import ActionPlanRefs
from complaints.steps.contracts import ActionReport, EffectivenessCheck, SurveyAnswer
from flows.corrective import act
from flows.human_step import await_decision, open_waiting_step, step_key, wait_for
from tasks.closing import close_handled, times_reopened
from tasks.mail import deliver_mail
from tasks.operators import publish_run_view


async def survey(complaint_id: uuid.UUID, decision_key: str) -> None:
    """Ask the complainant how satisfied they are; a low score becomes an improvement
    action for the handler's department, which the run waits for."""
    survey_key = step_key(StepKind.SURVEY)
    answer = await await_decision(
        complaint_id, StepKind.SURVEY, SurveyAnswer, refs=SurveyRefs(decision_step=decision_key)
    )
    if answer.dissatisfied:
        improvement = await open_waiting_step(
            complaint_id,
            StepKind.ACTION,
            refs=ActionRefs(survey_step=survey_key),
            key=step_key(StepKind.ACTION, "survey"),
        )
        await wait_for(complaint_id, improvement, ActionReport)


async def verify_and_close(complaint_id: uuid.UUID, resolution: Resolution, check_key: str) -> None:
    """Check effectiveness until the actions work, then close; go on if reopened.

    Not effective: new actions, then another check. A quality lead may reopen a closed
    complaint; the run is then started again, passes what it did, and takes new actions.
    """
    logger = get_run_logger()
    plan_round, check_round, closings = 2, 1, 0  # the first plan came with the second meeting
    while True:
        check = await wait_for(complaint_id, check_key, EffectivenessCheck)
        if check.effective:
            await deliver_mail(close_handled(complaint_id, resolution, closings))
            closings += 1
            if times_reopened(complaint_id) < closings:
                await publish_run_view(complaint_id, f"closed-{closings}")
                logger.info("Closed: %s", resolution.value)
                return
            why = ActionPlanRefs(reopening=closings)
        else:
            why = ActionPlanRefs(effectiveness_step=check_key)
        await act(complaint_id, plan_round, why)
        plan_round += 1
        check_round += 1
        check_key = await open_waiting_step(
            complaint_id,
            StepKind.EFFECTIVENESS,
            round_=check_round,
            refs=EffectivenessRefs(round=check_round),
        )
