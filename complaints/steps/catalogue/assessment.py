"""The assessment's steps (ISO 10002 7.5): the handler's decision (or a question to the
complainant first), the complainant's answer, and a quality lead's approval of "not ours"
for a major complaint."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy.orm import Session

from complaints.classification import classify
from complaints.deadlines.schedule import paused
from complaints.enums import EmailKind, Stage, StepKind
from complaints.mail.addresses import COMPLAINANT
from complaints.mail.emails import StepRequest
from complaints.models import Step
from complaints.organization import Organization
from complaints.steps.catalogue.spec import (
    Details,
    FormReader,
    Refs,
    Request,
    Source,
    StepSpec,
)
from complaints.steps.contracts import AssessmentDecision, InfoResponse, NotOursApproval
from complaints.steps.forms import local_moment


class AssessmentRefs(Refs):
    # A later round: the complainant answered this question step.
    info_step: str | None = None
    # A quality lead sent the explanation back in this approval step.
    approval_step: str | None = None


class AssessmentDetails(Details):
    question: str = ""
    answer: str = ""
    files: list[str] = Field(default_factory=list)
    info_step: str = ""
    returned_because: str = ""


class AssessmentRequestContext(StepRequest):
    kind = EmailKind.ASSESSMENT_REQUEST
    subject = "Assessment needed: complaint %(reference)s"

    description: str
    requested_remedy: str
    received_at: datetime
    # A later round: what the handler asked the complainant, and the answer.
    question: str = ""
    answer: str = ""
    answer_files: int = 0
    # A quality lead sent the explanation back: why.
    returned_because: str = ""


def _assessment(source: Source, refs: AssessmentRefs) -> AssessmentDetails:
    if refs.info_step:
        info = source.decided(refs.info_step)
        answer = InfoResponse.model_validate(info.decision)
        return AssessmentDetails(
            question=str(info.details.get("question", "")),
            answer=answer.answer,
            files=[str(f) for f in answer.files],
            info_step=refs.info_step,
        )
    if refs.approval_step:
        returned = source.decision(refs.approval_step, NotOursApproval)
        return AssessmentDetails(returned_because=returned.comment)
    return AssessmentDetails()


def _assessment_due(source: Source, details: AssessmentDetails, opened_at: datetime) -> datetime:
    # Counted from receipt (ISO 10002 7.5), moved by the time the clock stood still.
    complaint, org = source.complaint, source.org
    hours = org.deadlines.due_hours.assessment
    return org.due_after(complaint.received_at, hours) + paused(complaint)


def _assessment_request(request: Request[AssessmentDetails]) -> AssessmentRequestContext:
    complaint, details = request.source.complaint, request.details
    return AssessmentRequestContext(
        **request.common,
        description=complaint.description,
        requested_remedy=complaint.requested_remedy,
        received_at=complaint.received_at,
        question=details.question,
        answer=details.answer,
        answer_files=len(details.files),
        returned_because=details.returned_because,
    )


def _assessment_form(form: FormReader, zone: ZoneInfo) -> dict[str, Any]:
    # "ours" is a choice of three: yes, no, or ask the complainant first.
    ours = form.get("ours")
    asks = ours == "ask"
    return {
        "question": form.get("question") if asks else "",
        "ours": None if asks or not ours else ours,
        "valid": None if asks else form.get("valid") or None,
        "grade": None if asks else form.get("grade") or None,
        "category": "" if asks else form.get("category") or "",
        "safety_relevant": form.get("safety_relevant") == "yes",
        "immediate_action": form.get("immediate_action"),
        "comment": form.get("comment"),
        "explanation": form.get("explanation") if ours == "no" else "",
        "meeting_at": local_moment(form.get("meeting_at"), zone) if ours == "yes" else None,
        "meeting_minutes": form.get("meeting_minutes") or 60,
        "meeting_location": form.get("meeting_location"),
        "attendees": form.getlist("attendees") if ours == "yes" else [],
    }


def _known_category(fields: dict[str, Any], org: Organization) -> dict[str, str]:
    # A key of the organization file's classification (ISO 10002 8.2).
    category = fields.get("category")
    if category and category not in org.classification.all_keys():
        return {"category": "choose a category from the list"}
    return {}


def _graded(
    session: Session,
    step: Step,
    decision: AssessmentDecision,
    decided_by: str,
    decided_at: datetime,
) -> None:
    # The grade decides who is responsible (DOMAIN.md, grades); the category is what
    # reviews count by (ISO 10002 8.2).
    if decision.grade is None:
        return
    step.complaint.grade = decision.grade
    step.complaint.safety_relevant = decision.safety_relevant
    if decision.category:
        classify(session, step.complaint_id, decision.category, by=decided_by, at=decided_at)


ASSESSMENT = StepSpec(
    kind=StepKind.ASSESSMENT,
    contract=AssessmentDecision,
    stage=Stage.ASSESSMENT,
    refs=AssessmentRefs,
    details_model=AssessmentDetails,
    details=_assessment,
    assignee=lambda source, details: source.complaint.handler,
    due=_assessment_due,
    request=_assessment_request,
    read_form=_assessment_form,
    org_problems=_known_category,
    on_decided=_graded,
)


class InfoRequestRefs(Refs):
    # The assessment step that asked the question.
    asked_in: str


class InfoRequestDetails(Details):
    question: str
    # The time the complainant took, once the deadline clock was stopped for it.
    clock_paused_seconds: int | None = None


class InfoRequestContext(StepRequest):
    kind = EmailKind.INFO_REQUEST
    subject = "A question about your complaint %(reference)s"

    question: str


INFO_REQUEST = StepSpec(
    kind=StepKind.INFO_REQUEST,
    contract=InfoResponse,
    stage=Stage.ASSESSMENT,
    refs=InfoRequestRefs,
    details_model=InfoRequestDetails,
    details=lambda source, refs: InfoRequestDetails(
        question=source.decision(refs.asked_in, AssessmentDecision).question
    ),
    assignee=lambda source, details: COMPLAINANT,
    due=lambda source, details, opened_at: source.org.due_after(
        opened_at, source.org.deadlines.due_hours.info_request
    ),
    request=lambda request: InfoRequestContext(**request.common, question=request.details.question),
    uploads_into="files",
)


class NotOursApprovalRefs(Refs):
    # The assessment whose explanation is to be approved.
    assessment_step: str


class NotOursApprovalDetails(Details):
    explanation: str
    # Who drafted the explanation (a person key).
    handler: str


class NotOursApprovalRequestContext(StepRequest):
    kind = EmailKind.NOT_OURS_APPROVAL_REQUEST
    subject = "Approval needed: complaint %(reference)s is not ours"

    handler_name: str
    explanation: str


def _explanation(source: Source, refs: NotOursApprovalRefs) -> NotOursApprovalDetails:
    assessment = source.decided(refs.assessment_step)
    decision = AssessmentDecision.model_validate(assessment.decision)
    return NotOursApprovalDetails(
        explanation=decision.explanation,
        handler=assessment.decided_by or source.complaint.handler,
    )


NOT_OURS_APPROVAL = StepSpec(
    kind=StepKind.NOT_OURS_APPROVAL,
    contract=NotOursApproval,
    stage=Stage.ASSESSMENT,
    refs=NotOursApprovalRefs,
    details_model=NotOursApprovalDetails,
    details=_explanation,
    # The first quality lead approves a major complaint's "not ours" (ISO 10002 7.5).
    assignee=lambda source, details: source.org.quality_leads[0],
    due=lambda source, details, opened_at: source.org.due_after(
        opened_at, source.org.deadlines.due_hours.not_ours_approval
    ),
    request=lambda request: NotOursApprovalRequestContext(
        **request.common,
        handler_name=request.source.name_of(request.details.handler),
        explanation=request.details.explanation,
    ),
)
