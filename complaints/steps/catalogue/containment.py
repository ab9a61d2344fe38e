"""The containment's steps (the corrective-action loop, 2.2; within 48 hours): the urgent
meeting's minutes, and one step per interim measure for its owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from complaints.deadlines.schedule import contain_by
from complaints.enums import EmailKind, LinkAction, MeasureType, MeetingPurpose, Stage, StepKind
from complaints.mail.emails import StepRequest
from complaints.meetings import service as meetings
from complaints.organization import Organization
from complaints.steps.catalogue.spec import (
    Details,
    FormReader,
    Refs,
    Request,
    Source,
    StepSpec,
)
from complaints.steps.contracts import ContainmentMinutes, MeasureReport
from complaints.steps.forms import local_moment, rows

ANALYSIS_FIELDS = ("analyst", "due_at", "scope", "method")


class ContainmentRequestContext(StepRequest):
    """To the organizer of the containment meeting: submit its minutes afterwards."""

    kind = EmailKind.CONTAINMENT_REQUEST
    subject = "Containment meeting minutes needed: complaint %(reference)s"

    grade: str
    meeting_at: datetime
    meeting_location: str


def _minutes_request(request: Request[Details]) -> ContainmentRequestContext:
    source = request.source
    meeting = meetings.find(source.session, source.complaint.id, MeetingPurpose.CONTAINMENT)
    assert meeting is not None, "the containment meeting is convened before its minutes"
    grade = source.complaint.grade
    return ContainmentRequestContext(
        **request.common,
        grade=grade.value if grade else "",
        meeting_at=meeting.starts_at,
        meeting_location=meeting.location,
    )


def _minutes_form(form: FormReader, zone: ZoneInfo) -> dict[str, Any]:
    analysis: dict[str, Any] = {f: form.get(f"analysis-{f}") for f in ANALYSIS_FIELDS}
    analysis["due_at"] = local_moment(analysis["due_at"], zone)
    return {
        "summary": form.get("summary"),
        "measures": rows(form, "measure", zone),
        "analysis": analysis,
    }


def _known_analyst(fields: dict[str, Any], org: Organization) -> dict[str, str]:
    analyst = fields.get("analysis", {}).get("analyst")
    if analyst and analyst not in org.people:
        return {"analysis-analyst": "choose an analyst from the list"}
    return {}


CONTAINMENT = StepSpec(
    kind=StepKind.CONTAINMENT,
    contract=ContainmentMinutes,
    stage=Stage.CONTAINMENT,
    refs=Refs,
    details_model=Details,
    details=lambda source, refs: Details(),
    # The meeting's organizer takes its minutes.
    assignee=lambda source, details: meetings.organizer_of(
        source.session, source.complaint, MeetingPurpose.CONTAINMENT
    ),
    due=lambda source, details, opened_at: contain_by(source.complaint, source.org),
    request=_minutes_request,
    # The organizer may also move the meeting with the minutes link.
    link_actions=(LinkAction.DECIDE, LinkAction.RESCHEDULE),
    meeting=MeetingPurpose.CONTAINMENT,
    read_form=_minutes_form,
    org_problems=_known_analyst,
)


class MeasureRefs(Refs):
    # The minutes that set the measure, and its place among their measures.
    minutes_step: str
    index: int


class MeasureDetails(Details):
    type: MeasureType
    description: str
    owner: str
    due_at: AwareDatetime
    index: int


class MeasureRequestContext(StepRequest):
    kind = EmailKind.MEASURE_REQUEST
    subject = "Interim measure for you: complaint %(reference)s"

    measure_type: str
    measure: str


def _measure(source: Source, refs: MeasureRefs) -> MeasureDetails:
    measure = source.decision(refs.minutes_step, ContainmentMinutes).measures[refs.index]
    return MeasureDetails(**measure.model_dump(), index=refs.index)


MEASURE = StepSpec(
    kind=StepKind.MEASURE,
    contract=MeasureReport,
    stage=Stage.CONTAINMENT,
    refs=MeasureRefs,
    details_model=MeasureDetails,
    details=_measure,
    assignee=lambda source, details: details.owner,
    # An interim measure is due when its minutes say.
    due=lambda source, details, opened_at: details.due_at,
    request=lambda request: MeasureRequestContext(
        **request.common,
        measure_type=request.details.type.value,
        measure=request.details.description,
    ),
    uploads_into="evidence",
)
