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
    CLOSED = "closed"


class Resolution(StrEnum):
    NOT_OURS = "not_ours"


class StepKind(StrEnum):
    """A point where the flow waits for a person."""

    ASSESSMENT = "assessment"
    CONTAINMENT = "containment"


class StepStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class LinkAction(StrEnum):
    """What a link lets its recipient do."""

    DECIDE = "decide"


class DecisionChannel(StrEnum):
    """Where a decision was made."""

    EMAIL_LINK = "email_link"
    PREFECT_UI = "prefect_ui"
    API = "api"


class RunStatus(StrEnum):
    """Whether the complaint's Prefect run exists yet."""

    PENDING = "pending"
    STARTED = "started"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class EmailKind(StrEnum):
    """Every email the system sends; each has an ``email/<kind>.{html,txt}.j2`` pair."""

    ACKNOWLEDGEMENT = "acknowledgement"
    ASSESSMENT_REQUEST = "assessment_request"
    NOT_OURS_EXPLANATION = "not_ours_explanation"
    CONTAINMENT_REQUEST = "containment_request"
    REMINDER = "reminder"
    ESCALATION = "escalation"
