"""The assessment of a complaint (ISO 10002 7.5): decided by the handler, after a question
to the complainant if need be, and approved by a quality lead when a major complaint is
not ours."""

from __future__ import annotations

import uuid

from complaints.enums import Grade, StepKind
from complaints.steps.catalogue.assessment import (
    AssessmentRefs,
    InfoRequestRefs,
    NotOursApprovalRefs,
)
from complaints.steps.contracts import AssessmentDecision, InfoResponse, NotOursApproval
from flows.human_step import await_decision, step_key
from tasks.assessment import account_for_waiting


async def assess(complaint_id: uuid.UUID) -> tuple[AssessmentDecision, str]:
    """Assess until decided; return the decision and the key of the step that settled it.

    The handler may first ask the complainant (a round of its own), and a quality lead
    may send the explanation of a major complaint that is not ours back (another round).
    """
    refs = AssessmentRefs()
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
                refs=InfoRequestRefs(asked_in=assessment_key),
            )
            account_for_waiting(complaint_id, info_key)
            refs = AssessmentRefs(info_step=info_key)
        elif decision.ours is False and decision.grade is Grade.MAJOR_COMPLAINT:
            approval_key = step_key(StepKind.NOT_OURS_APPROVAL, round_)
            approval = await await_decision(
                complaint_id,
                StepKind.NOT_OURS_APPROVAL,
                NotOursApproval,
                round_=round_,
                refs=NotOursApprovalRefs(assessment_step=assessment_key),
            )
            if approval.approved:
                return decision, approval_key
            refs = AssessmentRefs(approval_step=approval_key)
        else:
            return decision, assessment_key
        round_ += 1
