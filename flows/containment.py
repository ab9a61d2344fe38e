"""Containment (the corrective-action loop, 2.2; within 48 hours): the urgent meeting, its
minutes, and every interim measure done."""

from __future__ import annotations

import uuid

from complaints.enums import MeetingPurpose, StepKind
from complaints.steps.catalogue.containment import MeasureRefs
from complaints.steps.contracts import ContainmentMinutes, MeasureReport
from flows.human_step import await_decision, open_waiting_step, step_key, wait_for
from tasks.containment import complete_containment, convene_meeting
from tasks.mail import deliver_mail


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
            refs=MeasureRefs(minutes_step=minutes_key, index=index),
        )
        for index in range(len(minutes.measures))
    ]
    for key in keys:
        await wait_for(complaint_id, key, MeasureReport)
    await deliver_mail(complete_containment(complaint_id))
