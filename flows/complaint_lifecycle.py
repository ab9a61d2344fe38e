"""The ``complaint-lifecycle`` deployment: one run per complaint, from receipt to closure."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger

from complaints.contracts import AssessmentDecision, ContainmentReport
from complaints.enums import Resolution, Stage, StepKind
from flows.human_step import await_decision, step_key
from tasks.notify import acknowledge_receipt, deliver_mail, explain_not_ours
from tasks.record import close_complaint, move_to_stage


@flow(name="complaint-lifecycle", persist_result=True)
async def complaint_lifecycle(complaint_id: uuid.UUID) -> str:
    """Drive one complaint through the handling process (ISO 10002 clause 7)."""
    logger = get_run_logger()
    # 7.4 Acknowledge at once.
    await deliver_mail(acknowledge_receipt(complaint_id))

    # 7.5 Initial assessment: is it ours, is it valid, how grave is it?
    assessment = await await_decision(complaint_id, StepKind.ASSESSMENT, AssessmentDecision)
    if not assessment.ours:
        # Seed 2.1: not ours -> explain to the complainant, and close.
        await deliver_mail(explain_not_ours(complaint_id, step_key(StepKind.ASSESSMENT)))
        close_complaint(complaint_id, Resolution.NOT_OURS)
        logger.info("Closed: not our problem")
        return "closed: not ours"

    # Seed 2.2: ours -> contain within 48 hours of receipt.
    await await_decision(complaint_id, StepKind.CONTAINMENT, ContainmentReport)
    move_to_stage(complaint_id, Stage.ROOT_CAUSE)
    logger.info("Contained; the root-cause stage comes next")
    return "contained"
