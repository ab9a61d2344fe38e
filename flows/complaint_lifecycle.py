"""The ``complaint-lifecycle`` deployment: one run per complaint, from receipt to closure."""

from __future__ import annotations

import uuid
from itertools import count

from prefect import flow, get_run_logger

from complaints.enums import Grade, MeetingPurpose, Resolution, StepKind
from complaints.steps.contracts import (
    ActionPlan,
    ActionReport,
    AssessmentDecision,
    CauseAnalysis,
    ContainmentMinutes,
    EffectivenessCheck,
    InfoResponse,
    MeasureReport,
    NotOursApproval,
    ResponseApproval,
    ResponseDecision,
    ResponseDraft,
    SurveyAnswer,
)
from flows.human_step import Refs, await_decision, open_waiting_step, step_key, wait_for
from flows.run_logs import quiet_run_logs
from tasks.containment import account_for_waiting, complete_containment, convene_meeting
from tasks.corrective import complete_actions, return_to_actions, send_action_plan_overview
from tasks.notify import acknowledge_receipt, deliver_mail, explain_not_ours
from tasks.operators import publish_run_view
from tasks.record import close_complaint, close_handled, times_reopened
from tasks.report import issue_incident_report
from tasks.response import tell_decision
from tasks.runtime import organization

quiet_run_logs()


@flow(name="complaint-lifecycle", persist_result=True)
async def complaint_lifecycle(complaint_id: uuid.UUID) -> str:
    """Drive one complaint through the handling process (ISO 10002 clause 7)."""
    logger = get_run_logger()
    # 7.4 Acknowledge at once.
    await deliver_mail(acknowledge_receipt(complaint_id))

    # 7.5 Initial assessment: is it ours, is it valid, how grave is it?
    assessment, decided_in = await assess(complaint_id)
    if not assessment.ours:
        # Corrective-action loop 2.1: not ours -> explain to the complainant, and close.
        await deliver_mail(explain_not_ours(complaint_id, decided_in))
        close_complaint(complaint_id, Resolution.NOT_OURS)
        await publish_run_view(complaint_id, "closed-1")
        logger.info("Closed: not our problem")
        return "closed: not ours"

    # Corrective-action loop 2.2: ours -> the urgent meeting, interim measures, contained
    # within the deadline.
    await contain(complaint_id, decided_in)
    logger.info("Contained; finding the root cause")

    # Corrective-action loop 3-5, ISO 10002 7.6: the root cause, the second meeting,
    # corrective actions.
    await correct(complaint_id)
    logger.info("Every corrective action is done")
    # Corrective-action loop 5: the incident report, from the record, to the quality leads.
    await deliver_mail(issue_incident_report(complaint_id))

    # ISO 10002 7.7, 7.8: the answer, until the complainant accepts or the rounds run out.
    resolution, decision_key = await respond(complaint_id, assessment.grade)
    await deliver_mail(tell_decision(complaint_id, decision_key))
    logger.info("Response decided: %s", resolution.value)

    # Corrective-action loop 6, ISO 10002 8.3: the survey and the effectiveness check, days
    # later; both are open (their requests go out when due) so each date is visible from
    # the start.
    first_check = await open_waiting_step(complaint_id, StepKind.EFFECTIVENESS, refs={"round": 1})
    if resolution is Resolution.RESOLVED:
        await survey(complaint_id, decision_key)
    await verify_and_close(complaint_id, resolution, first_check)
    return "closed"


async def assess(complaint_id: uuid.UUID) -> tuple[AssessmentDecision, str]:
    """Assess until decided; return the decision and the key of the step that settled it.

    The handler may first ask the complainant (a round of its own), and a quality lead
    may send the explanation of a major complaint that is not ours back (another round).
    """
    refs: Refs = {}
    round_ = 1
    while True:
        assessment_key = step_key(StepKind.ASSESSMENT, round_)
        decision = await await_decision(
            complaint_id, StepKind.ASSESSMENT, AssessmentDecision, round_=round_, refs=refs
        )
        if decision.asks_complainant:
            info_key = step_key(StepKind.INFO_REQUEST, round_)
            await await_decision(
                complaint_id,
                StepKind.INFO_REQUEST,
                InfoResponse,
                round_=round_,
                refs={"asked_in": assessment_key},
            )
            account_for_waiting(complaint_id, info_key)
            refs = {"info_step": info_key}
        elif decision.ours is False and decision.grade is Grade.MAJOR_COMPLAINT:
            approval_key = step_key(StepKind.NOT_OURS_APPROVAL, round_)
            approval = await await_decision(
                complaint_id,
                StepKind.NOT_OURS_APPROVAL,
                NotOursApproval,
                round_=round_,
                refs={"assessment_step": assessment_key},
            )
            if approval.approved:
                return decision, approval_key
            refs = {"approval_step": approval_key}
        else:
            return decision, assessment_key
        round_ += 1


async def contain(complaint_id: uuid.UUID, assessment_key: str) -> None:
    """Convene the urgent meeting, take its minutes, wait until every measure is done."""
    convened = convene_meeting(complaint_id, MeetingPurpose.CONTAINMENT, assessment_key)
    if convened.message_ids:
        await deliver_mail(convened.message_ids)
    minutes_key = step_key(StepKind.CONTAINMENT)
    minutes = await await_decision(complaint_id, StepKind.CONTAINMENT, ContainmentMinutes)

    # Every owner hears of their measure at once; the run then waits for each in turn
    # (a measure done early is simply taken when the run gets to it).
    keys = [
        await open_waiting_step(
            complaint_id,
            StepKind.MEASURE,
            round_=index + 1,
            refs={"minutes_step": minutes_key, "index": index},
        )
        for index in range(len(minutes.measures))
    ]
    for key in keys:
        await wait_for(complaint_id, key, MeasureReport)
    await deliver_mail(complete_containment(complaint_id))


async def correct(complaint_id: uuid.UUID) -> None:
    """Find the root cause, hold the second meeting, wait until every action is done."""
    analysis_key = step_key(StepKind.CAUSE_ANALYSIS)
    await await_decision(
        complaint_id,
        StepKind.CAUSE_ANALYSIS,
        CauseAnalysis,
        refs={"minutes_step": step_key(StepKind.CONTAINMENT)},
    )
    convened = convene_meeting(complaint_id, MeetingPurpose.ROOT_CAUSE, analysis_key)
    if convened.message_ids:
        await deliver_mail(convened.message_ids)
    await act(complaint_id, 1)


async def act(complaint_id: uuid.UUID, plan_round: int, why: Refs | None = None) -> None:
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
            refs={"plan_step": plan_key, "index": index},
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


async def respond(complaint_id: uuid.UUID, grade: Grade | None) -> tuple[Resolution, str]:
    """Answer the complainant until they accept or the organization's rounds run out.

    The handler drafts; a quality lead approves the answer to a major complaint (or
    sends it back); the complainant accepts or says why not, and the handler answers
    again. Returns the outcome and the key of the complainant's last decision.
    """
    rounds = organization().follow_up.response_rounds
    asked = 1  # answers the complainant was asked to decide on
    refs: Refs = {"round": 1}
    for draft in count(1):
        answer_key = step_key(StepKind.RESPONSE, draft)
        await await_decision(
            complaint_id, StepKind.RESPONSE, ResponseDraft, round_=draft, refs=refs
        )
        if grade is Grade.MAJOR_COMPLAINT:
            approval_key = step_key(StepKind.RESPONSE_APPROVAL, draft)
            approval = await await_decision(
                complaint_id,
                StepKind.RESPONSE_APPROVAL,
                ResponseApproval,
                round_=draft,
                refs={"response_step": answer_key, "round": asked},
            )
            if not approval.approved:
                refs = {"returned_in": approval_key, "round": asked}
                continue
            answer_key = approval_key
        decision_key = step_key(StepKind.RESPONSE_DECISION, asked)
        decision = await await_decision(
            complaint_id,
            StepKind.RESPONSE_DECISION,
            ResponseDecision,
            round_=asked,
            refs={"answer_step": answer_key, "round": asked},
        )
        if decision.accepted:
            return Resolution.RESOLVED, decision_key
        if asked >= rounds:
            return Resolution.REFERRED, decision_key
        asked += 1
        refs = {"rejected_in": decision_key, "round": asked}
    raise AssertionError("unreachable: count() never ends")


async def survey(complaint_id: uuid.UUID, decision_key: str) -> None:
    """Ask the complainant how satisfied they are; a low score becomes an improvement
    action for the handler's department, which the run waits for."""
    survey_key = step_key(StepKind.SURVEY)
    answer = await await_decision(
        complaint_id, StepKind.SURVEY, SurveyAnswer, refs={"decision_step": decision_key}
    )
    if answer.dissatisfied:
        improvement = await open_waiting_step(
            complaint_id,
            StepKind.ACTION,
            refs={"survey_step": survey_key},
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
            why: Refs = {"reopening": closings}
        else:
            why = {"effectiveness_step": check_key}
        await act(complaint_id, plan_round, why)
        plan_round += 1
        check_round += 1
        check_key = await open_waiting_step(
            complaint_id, StepKind.EFFECTIVENESS, round_=check_round, refs={"round": check_round}
        )
