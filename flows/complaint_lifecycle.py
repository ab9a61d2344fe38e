"""The ``complaint-lifecycle`` deployment: one run per complaint, from receipt to closure."""

from __future__ import annotations

import uuid

from prefect import flow, get_run_logger

from complaints.enums import Resolution, StepKind
from complaints.steps.catalogue.follow_up import EffectivenessRefs
from flows.assessment import assess
from flows.containment import contain
from flows.corrective import correct
from flows.follow_up import survey, verify_and_close
from flows.human_step import open_waiting_step
from flows.response import respond
from flows.run_logs import quiet_run_logs
from tasks.assessment import explain_not_ours
from tasks.closing import close_complaint
from tasks.mail import deliver_mail
from tasks.operators import publish_run_view
from tasks.receipt import acknowledge_receipt
from tasks.report import issue_incident_report
from tasks.response import tell_decision

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
    first_check = await open_waiting_step(
        complaint_id, StepKind.EFFECTIVENESS, refs=EffectivenessRefs(round=1)
    )
    if resolution is Resolution.RESOLVED:
        await survey(complaint_id, decision_key)
    await verify_and_close(complaint_id, resolution, first_check)
    return "closed"
