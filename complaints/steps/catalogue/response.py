"""The answer's steps (ISO 10002 7.7, 7.8): the handler drafts it, a quality lead approves a
major complaint's, the complainant accepts it or says why not (each round a step)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from complaints.enums import EmailKind, Stage, StepKind
from complaints.mail.addresses import COMPLAINANT, status_url
from complaints.mail.emails import StepRequest
from complaints.steps.catalogue.spec import Details, FormReader, Refs, Request, Source, StepSpec
from complaints.steps.contracts import (
    RESPONSE_FIELDS,
    ResponseApproval,
    ResponseDecision,
    ResponseDraft,
)
from complaints.steps.history import latest_decision


class Answer(Details):
    """An answer's three parts, as drafted (or approved, with edits)."""

    remedy: str = ""
    actions_taken: str = ""
    prevention: str = ""


def _answer_of(decision: ResponseDraft | ResponseApproval) -> dict[str, str]:
    return {name: str(getattr(decision, name)) for name in RESPONSE_FIELDS}


def _due(kind: StepKind) -> Callable[[Source, Details, datetime], datetime]:
    def due(source: Source, details: Details, opened_at: datetime) -> datetime:
        hours = getattr(source.org.deadlines.due_hours, kind.value)
        return source.org.due_after(opened_at, hours)

    return due


class ResponseRefs(Refs):
    round: int = 1
    # The complainant turned the last answer down in this step ...
    rejected_in: str | None = None
    # ... or a quality lead sent the draft back in this one.
    returned_in: str | None = None


class ResponseDetails(Details):
    round: int = 1
    not_satisfied_because: str = ""
    returned_because: str = ""
    # The last answer drafted, to start from.
    previous: dict[str, str] = Field(default_factory=dict)


class ResponseRequestContext(StepRequest):
    """To the handler: draft the answer to the complainant."""

    kind = EmailKind.RESPONSE_REQUEST
    subject = "Answer the complainant: complaint %(reference)s"

    description: str
    requested_remedy: str
    round: int
    # The complainant turned the last answer down: their reason.
    not_satisfied_because: str = ""
    # A quality lead sent the draft back: why.
    returned_because: str = ""


def _draft(source: Source, refs: ResponseRefs) -> ResponseDetails:
    details = ResponseDetails(round=refs.round)
    if refs.rejected_in:
        rejected = source.decision(refs.rejected_in, ResponseDecision)
        details.not_satisfied_because = rejected.reason
    if refs.returned_in:
        details.returned_because = source.decision(refs.returned_in, ResponseApproval).comment
    previous = latest_decision(source.complaint, StepKind.RESPONSE, ResponseDraft)
    details.previous = _answer_of(previous) if previous else dict.fromkeys(RESPONSE_FIELDS, "")
    return details


RESPONSE = StepSpec(
    kind=StepKind.RESPONSE,
    contract=ResponseDraft,
    stage=Stage.RESPONSE,
    refs=ResponseRefs,
    details_model=ResponseDetails,
    details=_draft,
    assignee=lambda source, details: source.complaint.handler,
    due=_due(StepKind.RESPONSE),
    request=lambda request: ResponseRequestContext(
        **request.common,
        description=request.source.complaint.description,
        requested_remedy=request.source.complaint.requested_remedy,
        round=request.details.round,
        not_satisfied_because=request.details.not_satisfied_because,
        returned_because=request.details.returned_because,
    ),
)


class ResponseApprovalRefs(Refs):
    # The draft to approve, and the answer's round with the complainant.
    response_step: str
    round: int = 1


class ResponseApprovalDetails(Answer):
    # Who drafted it (a person key).
    handler: str
    round: int = 1


class ResponseApprovalRequestContext(StepRequest):
    kind = EmailKind.RESPONSE_APPROVAL_REQUEST
    subject = "Approval needed: the answer to complaint %(reference)s"

    handler_name: str
    remedy: str
    actions_taken: str
    prevention: str


def _approval(source: Source, refs: ResponseApprovalRefs) -> ResponseApprovalDetails:
    draft = source.decided(refs.response_step)
    answer = _answer_of(ResponseDraft.model_validate(draft.decision))
    handler = draft.decided_by or source.complaint.handler
    return ResponseApprovalDetails.model_validate(
        {**answer, "handler": handler, "round": refs.round}
    )


RESPONSE_APPROVAL = StepSpec(
    kind=StepKind.RESPONSE_APPROVAL,
    contract=ResponseApproval,
    stage=Stage.RESPONSE,
    refs=ResponseApprovalRefs,
    details_model=ResponseApprovalDetails,
    details=_approval,
    # The first quality lead approves a major complaint's answer.
    assignee=lambda source, details: source.org.quality_leads[0],
    due=_due(StepKind.RESPONSE_APPROVAL),
    request=lambda request: ResponseApprovalRequestContext(
        **request.common,
        handler_name=request.source.name_of(request.details.handler),
        remedy=request.details.remedy,
        actions_taken=request.details.actions_taken,
        prevention=request.details.prevention,
    ),
)


class ResponseDecisionRefs(Refs):
    # The step whose answer the complainant decides on (a draft, or its approval).
    answer_step: str
    round: int = 1


class ResponseDecisionDetails(Answer):
    round: int = 1
    # The last round: turned down, the complainant is pointed outside (ISO 10003).
    last_round: bool = False


class ResponseContext(StepRequest):
    """To the complainant: our answer, to accept or turn down."""

    kind = EmailKind.RESPONSE
    subject = "Our answer to your complaint %(reference)s"

    remedy: str
    actions_taken: str
    prevention: str
    accept_url: str
    reject_url: str
    status_url: str
    round: int


def _decision(source: Source, refs: ResponseDecisionRefs) -> ResponseDecisionDetails:
    answer = source.decided(refs.answer_step)
    decided = ResponseApproval if answer.kind is StepKind.RESPONSE_APPROVAL else ResponseDraft
    return ResponseDecisionDetails.model_validate(
        {
            **_answer_of(decided.model_validate(answer.decision)),
            "round": refs.round,
            "last_round": refs.round >= source.org.follow_up.response_rounds,
        }
    )


def _answer_email(request: Request[ResponseDecisionDetails]) -> ResponseContext:
    link, details = request.common["link_url"], request.details
    return ResponseContext(
        **request.common,
        remedy=details.remedy,
        actions_taken=details.actions_taken,
        prevention=details.prevention,
        # Each link opens the page with its choice preset.
        accept_url=f"{link}?answer=accept",
        reject_url=f"{link}?answer=not_satisfied",
        status_url=status_url(request.settings, request.source.complaint),
        round=details.round,
    )


def _decision_form(form: FormReader, zone: ZoneInfo) -> dict[str, Any]:
    choice = form.get("answer")
    accepted = {"accept": True, "not_satisfied": False}.get(choice)
    return {"accepted": accepted, "reason": form.get("reason") if choice != "accept" else ""}


RESPONSE_DECISION = StepSpec(
    kind=StepKind.RESPONSE_DECISION,
    contract=ResponseDecision,
    stage=Stage.RESPONSE,
    refs=ResponseDecisionRefs,
    details_model=ResponseDecisionDetails,
    details=_decision,
    assignee=lambda source, details: COMPLAINANT,
    due=_due(StepKind.RESPONSE_DECISION),
    request=_answer_email,
    read_form=_decision_form,
)
