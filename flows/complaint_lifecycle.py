"""The ``complaint-lifecycle`` deployment: one run per complaint, from receipt to closure."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger

from complaints.contracts import (
    ActionPlan,
    ActionReport,
    AssessmentDecision,
    CauseAnalysis,
    ContainmentMinutes,
    InfoResponse,
    MeasureReport,
    NotOursApproval,
)
from complaints.enums import Grade, Resolution, StepKind
from complaints.meetings import CONTAINMENT as CONTAINMENT_MEETING
from complaints.meetings import ROOT_CAUSE as ROOT_CAUSE_MEETING
from flows.human_step import Refs, await_decision, open_waiting_step, step_key, wait_for
from tasks.containment import account_for_waiting, complete_containment, convene_meeting
from tasks.corrective import complete_actions, send_action_plan_overview
from tasks.notify import acknowledge_receipt, deliver_mail, explain_not_ours
from tasks.record import close_complaint


@flow(name="complaint-lifecycle", persist_result=True)
async def complaint_lifecycle(complaint_id: uuid.UUID) -> str:
    """Drive one complaint through the handling process (ISO 10002 clause 7)."""
    logger = get_run_logger()
    # 7.4 Acknowledge at once.
    await deliver_mail(acknowledge_receipt(complaint_id))

    # 7.5 Initial assessment: is it ours, is it valid, how grave is it?
    assessment, decided_in = await assess(complaint_id)
    if not assessment.ours:
        # Seed 2.1: not ours -> explain to the complainant, and close.
        await deliver_mail(explain_not_ours(complaint_id, decided_in))
        close_complaint(complaint_id, Resolution.NOT_OURS)
        logger.info("Closed: not our problem")
        return "closed: not ours"

    # Seed 2.2: ours -> the urgent meeting, interim measures, contained within the deadline.
    await contain(complaint_id, decided_in)
    logger.info("Contained; finding the root cause")

    # Seeds 3-5, ISO 10002 7.6: the root cause, the second meeting, corrective actions.
    await correct(complaint_id)
    logger.info("Every corrective action is done")
    return "corrected"


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
    convened = convene_meeting(complaint_id, CONTAINMENT_MEETING, assessment_key)
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
    convened = convene_meeting(complaint_id, ROOT_CAUSE_MEETING, analysis_key)
    if convened.message_ids:
        await deliver_mail(convened.message_ids)
    plan_key = step_key(StepKind.ACTION_PLAN)
    plan = await await_decision(complaint_id, StepKind.ACTION_PLAN, ActionPlan)

    # Every action has one owner and a due date (seed 4); the quality leads get the list
    # with a link to reassign an action or move its date.
    keys = [
        await open_waiting_step(
            complaint_id,
            StepKind.ACTION,
            round_=index + 1,
            refs={"plan_step": plan_key, "index": index},
        )
        for index in range(len(plan.actions))
    ]
    await deliver_mail(send_action_plan_overview(complaint_id, keys))
    for key in keys:
        await wait_for(complaint_id, key, ActionReport)
    await deliver_mail(complete_actions(complaint_id))
