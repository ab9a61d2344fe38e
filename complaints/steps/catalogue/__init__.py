"""The step catalogue: every kind of step a complaint waits on, one spec each, grouped by
the stage it belongs to (see :mod:`complaints.steps.catalogue.spec`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaints.enums import StepKind
from complaints.models import Step
from complaints.steps.catalogue.assessment import ASSESSMENT, INFO_REQUEST, NOT_OURS_APPROVAL
from complaints.steps.catalogue.containment import CONTAINMENT, MEASURE
from complaints.steps.catalogue.corrective import ACTION
from complaints.steps.catalogue.follow_up import EFFECTIVENESS, SURVEY
from complaints.steps.catalogue.response import RESPONSE, RESPONSE_APPROVAL, RESPONSE_DECISION
from complaints.steps.catalogue.root_cause import ACTION_PLAN, CAUSE_ANALYSIS
from complaints.steps.catalogue.spec import Details, Source, StepSpec

CATALOGUE: dict[StepKind, StepSpec[Any, Any]] = {
    spec.kind: spec
    for spec in (
        ASSESSMENT,
        INFO_REQUEST,
        NOT_OURS_APPROVAL,
        CONTAINMENT,
        MEASURE,
        CAUSE_ANALYSIS,
        ACTION_PLAN,
        ACTION,
        RESPONSE,
        RESPONSE_APPROVAL,
        RESPONSE_DECISION,
        SURVEY,
        EFFECTIVENESS,
    )
}


def spec_of(kind: StepKind) -> StepSpec[Any, Any]:
    """Return a step kind's spec."""
    return CATALOGUE[kind]


def details_of(step: Step) -> Any:
    """Return what a step shows, as its kind's details model."""
    return CATALOGUE[step.kind].details_of(step)


def timed(
    source: Source, kind: StepKind, details: Details, opened_at: datetime
) -> tuple[Details, datetime]:
    """Return a step's details with when it is asked for, if later than it opens (the
    deadline watch sends its request then), and when it is due (counted from then)."""
    spec = CATALOGUE[kind]
    asked_at = spec.asked_at(source.org, details)
    if asked_at is not None and asked_at > opened_at:
        details = details.model_copy(update={"request_at": asked_at})
    return details, spec.due(source, details, opened_at)
