"""The answer to the complainant (ISO 10002 7.7, 7.8), until they accept it or the
organization's rounds run out."""

from __future__ import annotations

import uuid
from itertools import count

from complaints.enums import Grade, Resolution, StepKind
from complaints.steps.catalogue.response import (
    ResponseApprovalRefs,
    ResponseDecisionRefs,
    ResponseRefs,
)
from complaints.steps.contracts import ResponseApproval, ResponseDecision, ResponseDraft
from flows.human_step import await_decision, step_key
from tasks.runtime import organization


async def respond(complaint_id: uuid.UUID, grade: Grade | None) -> tuple[Resolution, str]:
    """Answer the complainant until they accept or the organization's rounds run out.

    The handler drafts; a quality lead approves the answer to a major complaint (or
    sends it back); the complainant accepts or says why not, and the handler answers
    again. Returns the outcome and the key of the complainant's last decision.
    """
    rounds = organization().follow_up.response_rounds
    asked = 1  # answers the complainant was asked to decide on
    refs = ResponseRefs(round=1)
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
                refs=ResponseApprovalRefs(response_step=answer_key, round=asked),
            )
            if not approval.approved:
                refs = ResponseRefs(returned_in=approval_key, round=asked)
                continue
            answer_key = approval_key
        decision_key = step_key(StepKind.RESPONSE_DECISION, asked)
        decision = await await_decision(
            complaint_id,
            StepKind.RESPONSE_DECISION,
            ResponseDecision,
            round_=asked,
            refs=ResponseDecisionRefs(answer_step=answer_key, round=asked),
        )
        if decision.accepted:
            return Resolution.RESOLVED, decision_key
        if asked >= rounds:
            return Resolution.REFERRED, decision_key
        asked += 1
        refs = ResponseRefs(rejected_in=decision_key, round=asked)
    raise AssertionError("unreachable: count() never ends")
