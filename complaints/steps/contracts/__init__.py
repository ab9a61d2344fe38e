"""What each waiting step receives: the contract between the flow and the web app.

The flow passes these models to ``suspend_flow_run(wait_for_input=...)``; Prefect turns
them into RunInput forms (so an operator can also resume from the Prefect UI), and the
web app posts the same fields when a person decides through an email link. Files are
uploaded through the web app and referenced here by id only. One module per stage, as
the flow goes; this package names them all.
"""

from complaints.meetings.plans import MeetingChange, MeetingPlan
from complaints.steps.contracts.assessment import (
    AssessmentDecision,
    InfoResponse,
    NotOursApproval,
)
from complaints.steps.contracts.base import REDACTED, PersonKey, StepInput, field_error
from complaints.steps.contracts.containment import (
    AnalysisPlan,
    ContainmentMinutes,
    InterimMeasure,
    MeasureReport,
)
from complaints.steps.contracts.corrective import ActionChange, ActionReport
from complaints.steps.contracts.follow_up import (
    DISSATISFIED_AT_MOST,
    EffectivenessCheck,
    Reopening,
    SurveyAnswer,
)
from complaints.steps.contracts.response import (
    RESPONSE_FIELDS,
    ResponseApproval,
    ResponseDecision,
    ResponseDraft,
)
from complaints.steps.contracts.root_cause import (
    IMPROVEMENTS,
    SHARED_PROBLEM_ACTIONS,
    ActionPlan,
    CauseAnalysis,
    PlannedAction,
    plan_problems,
)

__all__ = [
    "DISSATISFIED_AT_MOST",
    "IMPROVEMENTS",
    "REDACTED",
    "RESPONSE_FIELDS",
    "SHARED_PROBLEM_ACTIONS",
    "ActionChange",
    "ActionPlan",
    "ActionReport",
    "AnalysisPlan",
    "AssessmentDecision",
    "CauseAnalysis",
    "ContainmentMinutes",
    "EffectivenessCheck",
    "InfoResponse",
    "InterimMeasure",
    "MeasureReport",
    "MeetingChange",
    "MeetingPlan",
    "NotOursApproval",
    "PersonKey",
    "PlannedAction",
    "Reopening",
    "ResponseApproval",
    "ResponseDecision",
    "ResponseDraft",
    "StepInput",
    "SurveyAnswer",
    "field_error",
    "plan_problems",
]
