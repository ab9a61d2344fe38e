"""Enumerations shared by the domain, the flows and the web app."""

from enum import StrEnum


class Locale(StrEnum):
    EN = "en"
    ZH_CN = "zh-CN"


class Channel(StrEnum):
    """How the complaint reached us."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    IN_PERSON = "in_person"


class Grade(StrEnum):
    GRUMBLE = "grumble"
    COMPLAINT = "complaint"
    MAJOR_COMPLAINT = "major_complaint"


class Stage(StrEnum):
    """Where a complaint stands, in the order of the handling process."""

    RECEIVED = "received"
    ASSESSMENT = "assessment"
    CONTAINMENT = "containment"
    ROOT_CAUSE = "root_cause"
    CORRECTIVE_ACTION = "corrective_action"
    # The answer to the complainant, and their decision on it (ISO 10002 7.7, 7.8).
    RESPONSE = "response"
    # The satisfaction survey and the effectiveness check (corrective-action loop, 6;
    # ISO 10002 8.3).
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class Resolution(StrEnum):
    NOT_OURS = "not_ours"
    # Closed at the complainant's request to erase their personal data (complaints.privacy).
    WITHDRAWN = "withdrawn"
    # The complainant accepted the response.
    RESOLVED = "resolved"
    # Not accepted after the last round: pointed to external dispute resolution (ISO 10003).
    REFERRED = "referred"


class StepKind(StrEnum):
    """A point where the flow waits for a person."""

    ASSESSMENT = "assessment"
    # The complainant answers the handler's questions (and may upload photos).
    INFO_REQUEST = "info_request"
    # A quality lead approves the explanation of a major complaint that is not ours.
    NOT_OURS_APPROVAL = "not_ours_approval"
    # The organizer of the urgent containment meeting submits its minutes.
    CONTAINMENT = "containment"
    # The owner of one interim measure reports it done.
    MEASURE = "measure"
    # The analyst named in the containment minutes submits the root cause.
    CAUSE_ANALYSIS = "cause_analysis"
    # The organizer of the second (root-cause) meeting submits the actions it decided.
    ACTION_PLAN = "action_plan"
    # The owner of one corrective or preventive action reports it done.
    ACTION = "action"
    # The handler drafts the answer to the complainant (ISO 10002 7.7).
    RESPONSE = "response"
    # A quality lead approves the answer to a major complaint.
    RESPONSE_APPROVAL = "response_approval"
    # The complainant accepts the answer, or says why not (ISO 10002 7.8).
    RESPONSE_DECISION = "response_decision"
    # The complainant rates the handling, some time after accepting (corrective-action loop, 6a).
    SURVEY = "survey"
    # A quality lead verifies the actions worked, some time after they were done.
    EFFECTIVENESS = "effectiveness"


class MeasureType(StrEnum):
    """Interim measures that contain a problem for the customer (corrective-action loop, 2.2)."""

    COMPENSATION = "compensation"
    RECALL = "recall"
    REPAIR = "repair"
    EXCHANGE = "exchange"
    OTHER = "other"


class IshikawaCategory(StrEnum):
    """Where a root cause lies (the six Ms of the fishbone diagram)."""

    MAN = "man"
    MACHINE = "machine"
    MATERIAL = "material"
    METHOD = "method"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"


class ProblemScope(StrEnum):
    """A single, accidental event, or a problem earlier products or services share."""

    SINGLE = "single"
    SYSTEMIC = "systemic"


class ActionType(StrEnum):
    """What the second meeting decides (corrective-action loop, 4 and 6b)."""

    HANDLE_EVENT = "handle_event"
    NOTIFY_CUSTOMERS = "notify_customers"
    REWORK = "rework"
    STOCK_SPARES = "stock_spares"
    RECALL = "recall"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    DESIGN_FEEDBACK = "design_feedback"


class StepStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class LinkAction(StrEnum):
    """What a link lets its recipient do."""

    DECIDE = "decide"
    # The meeting organizer may move the meeting (an updated invitation, same event).
    RESCHEDULE = "reschedule"
    # A quality lead may reassign an action or move its due date (with a reason).
    MANAGE = "manage"
    # A quality lead may reopen a closed complaint (with a reason).
    REOPEN = "reopen"


class DecisionChannel(StrEnum):
    """Where a decision was made."""

    EMAIL_LINK = "email_link"
    PREFECT_UI = "prefect_ui"


class RunStatus(StrEnum):
    """Whether the complaint's Prefect run exists yet."""

    PENDING = "pending"
    STARTED = "started"
    # Reopened after closing: the finished run is to be started again.
    RESTART = "restart"
    # The complainant's personal data erased: the run is to be cancelled if it still
    # waits, and what Prefect stored of its answers deleted; then it is forgotten.
    FORGET = "forget"
    FORGOTTEN = "forgotten"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class EventKind(StrEnum):
    """Every kind of event a complaint's audit trail records (each has a label in the
    catalogs, ``event.<kind>``)."""

    COMPLAINT_RECEIVED = "complaint.received"
    COMPLAINT_CLOSED = "complaint.closed"
    COMPLAINT_CLASSIFIED = "complaint.classified"
    RUN_STARTED = "run.started"
    RUN_RESTARTED = "run.restarted"
    STAGE_CHANGED = "stage.changed"
    STEP_OPENED = "step.opened"
    STEP_DECIDED = "step.decided"
    STEP_APPLIED = "step.applied"
    STEP_REMINDED = "step.reminded"
    STEP_OVERDUE = "step.overdue"
    EMAIL_QUEUED = "email.queued"
    ACKNOWLEDGEMENT_WITHHELD = "acknowledgement.withheld"
    CORRESPONDENCE_RECEIVED = "correspondence.received"
    FILES_REFUSED = "files.refused"
    EMAIL_SENT = "email.sent"
    EMAIL_FAILED = "email.failed"
    MEETING_CONVENED = "meeting.convened"
    MEETING_RESCHEDULED = "meeting.rescheduled"
    CLOCK_PAUSED = "clock.paused"
    CONTAINMENT_COMPLETED = "containment.completed"
    ACTION_PROGRESS = "action.progress"
    ACTION_REASSIGNED = "action.reassigned"
    ACTION_DUE_CHANGED = "action.due_changed"
    ACTIONS_COMPLETED = "actions.completed"
    ACTIONS_REOPENED = "actions.reopened"
    FILE_UPLOADED = "file.uploaded"
    STEP_REQUESTED = "step.requested"
    COMPLAINT_REOPENED = "complaint.reopened"
    RUN_RESUMED_AFTER_REOPENING = "run.resumed_after_reopening"
    RUN_REPAIRED = "run.repaired"
    STEP_INPUT_REFUSED = "step.input_refused"
    REPORT_ISSUED = "report.issued"
    # Personal data erased (on request or at the end of its retention): who, when, why.
    PERSONAL_DATA_ERASED = "personal_data.erased"
    # Everything held about the complainant exported for them (access right).
    PERSONAL_DATA_EXPORTED = "personal_data.exported"
    RUN_FORGOTTEN = "run.forgotten"


class MeetingPurpose(StrEnum):
    """The meetings a complaint may have, one of each: the urgent containment meeting
    (corrective-action loop, 2.2) and the root-cause meeting (4)."""

    CONTAINMENT = "containment"
    ROOT_CAUSE = "root_cause"


class NoticeKind(StrEnum):
    """What the deadline watch gives a step: the request of a step asked for later (the
    survey, the effectiveness check), a reminder before its due time, an escalation
    after it; a reminder that came with a later one (the watch was down) is superseded."""

    REQUEST = "request"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    SUPERSEDED = "superseded"


class EmailKind(StrEnum):
    """Every email the system sends; each has an ``email/<kind>.{html,txt}.j2`` pair."""

    ACKNOWLEDGEMENT = "acknowledgement"
    ASSESSMENT_REQUEST = "assessment_request"
    NOT_OURS_EXPLANATION = "not_ours_explanation"
    CONTAINMENT_REQUEST = "containment_request"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    INFO_REQUEST = "info_request"
    NOT_OURS_APPROVAL_REQUEST = "not_ours_approval_request"
    MEETING_INVITATION = "meeting_invitation"
    MEASURE_REQUEST = "measure_request"
    STATUS_UPDATE = "status_update"
    CAUSE_ANALYSIS_REQUEST = "cause_analysis_request"
    ACTION_MEETING_INVITATION = "action_meeting_invitation"
    ACTION_PLAN_REQUEST = "action_plan_request"
    ACTION_REQUEST = "action_request"
    ACTION_PLAN_OVERVIEW = "action_plan_overview"
    RESPONSE_REQUEST = "response_request"
    RESPONSE_APPROVAL_REQUEST = "response_approval_request"
    RESPONSE = "response"
    SURVEY_REQUEST = "survey_request"
    EFFECTIVENESS_REQUEST = "effectiveness_request"
    DECISION_NOTICE = "decision_notice"
    CLOSING_NOTICE = "closing_notice"
    INCIDENT_REPORT = "incident_report"
    REVIEW_REPORT = "review_report"
    SIGN_IN = "sign_in"
    TREND_ALERT = "trend_alert"
    RETENTION_REPORT = "retention_report"
    OPERATOR_ALERT = "operator_alert"
    MANAGEMENT_REVIEW = "management_review"
    REVIEW_ACTION_REQUEST = "review_action_request"
    REVIEW_RECORD = "review_record"
    REVIEW_TASK_NOTICE = "review_task_notice"
