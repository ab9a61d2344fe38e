"""The follow-up's steps (the corrective-action loop, 6; ISO 10002 8.3): the complainant's
satisfaction survey and a quality lead's effectiveness check. Both open early, so their
dates show from the start, and are asked for days later, through the deadline watch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import AwareDatetime

from complaints.enums import EmailKind, Stage, StepKind
from complaints.mail.addresses import COMPLAINANT
from complaints.mail.emails import StepRequest
from complaints.organization import Organization
from complaints.steps.catalogue.spec import Details, Refs, Source, StepSpec
from complaints.steps.contracts import EffectivenessCheck, SurveyAnswer
from complaints.steps.history import actions_closed_at


def _due_once_asked(kind: StepKind) -> Callable[[Source, Details, datetime], datetime]:
    def due(source: Source, details: Details, opened_at: datetime) -> datetime:
        # Counted from when it is asked for (the request goes out then).
        asked_at = max(details.request_at or opened_at, opened_at)
        return source.org.due_after(asked_at, getattr(source.org.deadlines.due_hours, kind.value))

    return due


class SurveyRefs(Refs):
    # The complainant's acceptance of the answer.
    decision_step: str


class SurveyDetails(Details):
    accepted_at: AwareDatetime


class SurveyRequestContext(StepRequest):
    kind = EmailKind.SURVEY_REQUEST
    subject = "How did we handle your complaint %(reference)s?"


def _survey_asked_at(org: Organization, details: SurveyDetails) -> datetime:
    return details.accepted_at + timedelta(days=org.follow_up.survey_after_days)


SURVEY = StepSpec(
    kind=StepKind.SURVEY,
    contract=SurveyAnswer,
    stage=Stage.FOLLOW_UP,
    refs=SurveyRefs,
    details_model=SurveyDetails,
    details=lambda source, refs: SurveyDetails(accepted_at=_decided_at(source, refs.decision_step)),
    assignee=lambda source, details: COMPLAINANT,
    due=_due_once_asked(StepKind.SURVEY),
    request=lambda request: SurveyRequestContext(**request.common),
    asked_at=_survey_asked_at,
)


class EffectivenessRefs(Refs):
    round: int = 1


class EffectivenessDetails(Details):
    actions_closed_at: AwareDatetime
    round: int = 1


class EffectivenessRequestContext(StepRequest):
    kind = EmailKind.EFFECTIVENESS_REQUEST
    subject = "Effectiveness check: complaint %(reference)s"

    actions_closed_at: datetime


def _effectiveness(source: Source, refs: EffectivenessRefs) -> EffectivenessDetails:
    closed = actions_closed_at(source.complaint)
    assert closed is not None, "every action is done before its effectiveness is checked"
    return EffectivenessDetails(actions_closed_at=closed, round=refs.round)


def _check_asked_at(org: Organization, details: EffectivenessDetails) -> datetime:
    return details.actions_closed_at + timedelta(days=org.follow_up.effectiveness_after_days)


def _decided_at(source: Source, key: str) -> datetime:
    decided_at = source.decided(key).decided_at
    assert decided_at is not None
    return decided_at


EFFECTIVENESS = StepSpec(
    kind=StepKind.EFFECTIVENESS,
    contract=EffectivenessCheck,
    stage=Stage.FOLLOW_UP,
    refs=EffectivenessRefs,
    details_model=EffectivenessDetails,
    details=_effectiveness,
    # The first quality lead checks whether the actions worked.
    assignee=lambda source, details: source.org.quality_leads[0],
    due=_due_once_asked(StepKind.EFFECTIVENESS),
    request=lambda request: EffectivenessRequestContext(
        **request.common, actions_closed_at=request.details.actions_closed_at
    ),
    asked_at=_check_asked_at,
)
