"""Due times of waiting steps, the clock pause policy, and complainants' periodic news."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.deadlines import schedule
from complaints.enums import DecisionChannel, EmailKind, Grade, StepKind
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.mail.addresses import COMPLAINANT
from complaints.models import Complaint, Event, OutboxMessage
from complaints.ops import deadline_watch
from complaints.organization import Organization, load_organization
from complaints.settings import PROJECT_DIR, Settings
from complaints.steps import decisions, opening
from complaints.steps.catalogue import spec_of, timed
from complaints.steps.catalogue.spec import Source
from complaints.steps.contracts import InfoResponse
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
SECRET = "schedule-test-secret"
RECEIVED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # a Friday, 09:00 in Shanghai


def _org(**deadlines: object) -> Organization:
    policy = ORG.deadlines.model_copy(update=deadlines)
    return ORG.model_copy(update={"deadlines": policy})


def _file(sessions: sessionmaker[Session]) -> uuid.UUID:
    with sessions.begin() as session:
        data = ComplaintIn(**complaint_payload())
        return service.file_complaint(session, data, ORG, now=RECEIVED).id


def _due(
    session: Session,
    complaint: Complaint,
    kind: StepKind,
    opened_at: datetime,
    details: dict[str, Any] | None = None,
) -> datetime:
    """When a step of a kind, opened then with these details, is due (as the flow opens it)."""
    read = spec_of(kind).details_model.model_validate(details or {})
    return timed(Source(session, complaint, ORG), kind, read, opened_at)[1]


def _asked_at(kind: StepKind, details: dict[str, Any]) -> datetime | None:
    spec = spec_of(kind)
    return spec.asked_at(ORG, spec.details_model.model_validate(details))


def test_containment_is_due_48_calendar_hours_after_receipt_or_per_grade(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    with sessions() as session:
        complaint = service.require_complaint(session, complaint_id)
        assert schedule.contain_by(complaint, ORG) == RECEIVED + timedelta(hours=48)
        assert _due(session, complaint, StepKind.ASSESSMENT, RECEIVED) == RECEIVED + timedelta(
            hours=24
        )
        complaint.grade = Grade.MAJOR_COMPLAINT
        faster = _org(containment_hours_by_grade={Grade.MAJOR_COMPLAINT: 24})
        assert schedule.contain_by(complaint, faster) == RECEIVED + timedelta(hours=24)
        # Business hours (Mon-Fri 09:00-18:00 in Shanghai): from Friday 09:00, five
        # working days give 45 hours, so 48 end on the next Friday at 12:00.
        business = _org(clock="business")
        assert schedule.contain_by(complaint, business) == RECEIVED + timedelta(days=7, hours=3)
        opened = RECEIVED + timedelta(hours=5)
        assert _due(
            session, complaint, StepKind.INFO_REQUEST, opened, {"question": "photos?"}
        ) == opened + timedelta(hours=72)


def test_the_clock_stands_still_while_the_complainant_answers_once(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        opened = opening.open_step(
            session,
            complaint,
            kind=StepKind.INFO_REQUEST,
            key="info-request-1",
            assignee=COMPLAINANT,
            due_at=RECEIVED + timedelta(hours=72),
            secret=SECRET,
            link_grace=timedelta(hours=1),
            details={"question": "photos?"},
            now=RECEIVED + timedelta(hours=2),
        )
        decisions.record_decision(
            session,
            opened.step,
            InfoResponse(answer="here"),
            decided_by=COMPLAINANT,
            channel=DecisionChannel.EMAIL_LINK,
            now=RECEIVED + timedelta(hours=32),
        )
        before = schedule.contain_by(complaint, ORG)
        assert schedule.pause_clock_for(session, opened.step) == 30 * 3600
        assert schedule.pause_clock_for(session, opened.step) == 0  # a re-executed task
        assert schedule.contain_by(complaint, ORG) == before + timedelta(hours=30)
    with sessions() as session:
        paused = session.scalars(
            select(Event).where(Event.complaint_id == complaint_id, Event.kind == "clock.paused")
        ).all()
    assert len(paused) == 1 and paused[0].data["reason"] == schedule.PAUSE_REASON


def test_complainants_hear_every_interval_without_news_once_per_interval(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    settings = Settings(secret_key=SECRET)  # type: ignore[arg-type]
    org = _org(status_every_days=3)

    def sent() -> list[OutboxMessage]:
        with sessions() as session:
            return list(
                session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.complaint_id == complaint_id,
                        OutboxMessage.kind == EmailKind.STATUS_UPDATE.value,
                    )
                )
            )

    def news(now: datetime, policy: Organization = org) -> int:
        before = len(sent())
        deadline_watch.periodic_status_updates(sessions, policy, settings, now)
        return len(sent()) - before

    assert news(RECEIVED + timedelta(days=2)) == 0  # too early
    assert news(RECEIVED + timedelta(days=3, hours=1)) == 1
    assert news(RECEIVED + timedelta(days=3, hours=2)) == 0  # same interval: once
    assert news(RECEIVED + timedelta(days=6, hours=1)) == 1
    assert news(RECEIVED + timedelta(days=60)) == 1
    assert news(RECEIVED + timedelta(days=60)) == 0  # two watches in one interval
    assert news(RECEIVED + timedelta(days=90), _org(status_every_days=0)) == 0  # switched off
    assert len(sent()) == 3


def test_the_survey_and_the_effectiveness_check_are_asked_for_days_later(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    accepted = RECEIVED + timedelta(days=40)
    with sessions() as session:
        complaint = service.require_complaint(session, complaint_id)
        details = {"accepted_at": accepted.isoformat(), "actions_closed_at": RECEIVED.isoformat()}
        asked = _asked_at(StepKind.SURVEY, details)
        assert asked == accepted + timedelta(days=ORG.follow_up.survey_after_days)
        checked = _asked_at(StepKind.EFFECTIVENESS, details)
        assert checked == RECEIVED + timedelta(days=ORG.follow_up.effectiveness_after_days)
        assert _asked_at(StepKind.RESPONSE, details) is None
        # Due counted from when it is asked for, not from when the run opened it.
        due = _due(session, complaint, StepKind.SURVEY, accepted, details)
        assert due == asked + timedelta(hours=ORG.deadlines.due_hours.survey)

        # The watch sends the request when the day comes, and reminds only after it.
        step = opening.open_step(
            session,
            complaint,
            kind=StepKind.SURVEY,
            key="survey-1",
            assignee=COMPLAINANT,
            due_at=due,
            secret=SECRET,
            link_grace=timedelta(hours=1),
            details={**details, "request_at": asked.isoformat()},
            now=accepted,
        ).step
        notices = schedule.notices_for(step, ORG)
        assert [n.kind for n in notices][:3] == ["request", "reminder", "reminder"]
        assert notices[0].at == asked and notices[0].people == (COMPLAINANT,)
        assert schedule.due_notices(step, ORG, asked - timedelta(minutes=1), set()) == []
        assert [n.key for n in schedule.due_notices(step, ORG, asked, set())] == ["request"]
