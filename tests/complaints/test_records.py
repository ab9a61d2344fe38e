"""Intake records, references, the audit chain and link tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from complaints import repository
from complaints.audit import first_broken_link, record_event
from complaints.enums import DecisionChannel, Grade, StepKind
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Base, Complaint, Event, utcnow
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from complaints.steps import decisions, opening
from complaints.steps.contracts import AssessmentDecision
from complaints.tokens import form_guard, guard_matches, sign_status, verify_status
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
SECRET = "test-secret"


def _file(sessions: sessionmaker[Session]) -> uuid.UUID:
    with sessions.begin() as session:
        return service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG).id


def _open_assessment(session: Session, complaint: Complaint) -> opening.OpenedStep:
    return opening.open_step(
        session,
        complaint,
        kind=StepKind.ASSESSMENT,
        key="assessment-1",
        assignee=complaint.handler,
        due_at=complaint.received_at + timedelta(hours=24),
        secret=SECRET,
        link_grace=timedelta(hours=1),
    )


def test_complaints_filed_together_get_consecutive_references_and_sound_chains(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        filed = service.file_complaints(
            session, [ComplaintIn(**complaint_payload()) for _ in range(5)], ORG
        )
    numbers = [int(c.reference.rsplit("-", 1)[1]) for c in filed]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    with sessions() as session:
        for complaint in filed:
            events = session.query(Event).filter_by(complaint_id=complaint.id).all()
            assert [(e.seq, e.kind) for e in events] == [(1, "complaint.received")]
            assert first_broken_link(session, complaint.id) is None


def test_migrations_match_the_models(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        context = MigrationContext.configure(session.connection())
        assert compare_metadata(context, Base.metadata) == []


def test_references_are_unique_under_concurrent_intake(sessions: sessionmaker[Session]) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda _: _file(sessions), range(30)))
    with sessions() as session:
        references = [service.require_complaint(session, i).reference for i in ids]
    assert len(set(references)) == 30
    assert all(re.fullmatch(r"C-\d{4}-\d{6}", r) for r in references)


def test_audit_chain_verifies_and_reports_the_first_broken_link(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    with sessions.begin() as session:
        for n in range(3):
            record_event(session, complaint_id, "note.added", actor="tester", data={"n": n})
    with sessions() as session:
        assert first_broken_link(session, complaint_id) is None
    with sessions.begin() as session:
        session.execute(
            update(Event)
            .where(Event.complaint_id == complaint_id, Event.seq == 3)
            .values(data={"n": 99})
        )
    with sessions() as session:
        assert first_broken_link(session, complaint_id) == 3


def test_a_step_is_decided_once_and_its_links_then_stop_acting(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id = _file(sessions)
    with sessions.begin() as session:
        complaint = service.require_complaint(session, complaint_id)
        opened = _open_assessment(session, complaint)
        reopened = _open_assessment(session, complaint)
    assert opened.token is not None and reopened.token is None
    token = opened.token
    decision = AssessmentDecision(
        ours=True, valid=True, grade=Grade.COMPLAINT, meeting_at=utcnow() + timedelta(hours=2)
    )
    with sessions.begin() as session:
        link = decisions.resolve_link(session, token, SECRET)
        assert link is not None
        assert decisions.record_decision(
            session, link.step, decision, decided_by="li-wei", channel=DecisionChannel.EMAIL_LINK
        )
        assert not decisions.record_decision(
            session, link.step, decision, decided_by="x", channel=DecisionChannel.EMAIL_LINK
        )
    with sessions() as session:
        assert decisions.resolve_link(session, token + "x", SECRET) is None
        assert decisions.resolve_link(session, token, "other-secret") is None
        link = decisions.resolve_link(session, token, SECRET)
        assert link is not None and link.step.decided_by == "li-wei"
        assert link.step.complaint.grade is Grade.COMPLAINT


def test_status_tokens_and_form_guards_cannot_be_forged() -> None:
    complaint_id = uuid.uuid4()
    signed = sign_status(complaint_id, SECRET)
    assert verify_status(signed, SECRET) == complaint_id
    assert verify_status(signed, "other") is None
    assert verify_status(signed[:-1] + ("A" if signed[-1] != "A" else "B"), SECRET) is None
    assert verify_status("!!", SECRET) is None
    assert guard_matches("tok", SECRET, form_guard("tok", SECRET))
    assert not guard_matches("tok2", SECRET, form_guard("tok", SECRET))


def test_notice_policy_reminds_before_and_escalates_after() -> None:
    from datetime import UTC, datetime

    from complaints.deadlines.schedule import due_notices, notices_for
    from complaints.models import Step

    opened = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    step = Step(
        key="assessment-1", assignee="li-wei", opened_at=opened, due_at=opened + timedelta(hours=24)
    )
    keys = [n.key for n in notices_for(step, ORG)]
    assert keys == ["reminder-4h", "reminder-1h", "escalation-1", "escalation-2"]
    late = due_notices(step, ORG, opened + timedelta(hours=23, minutes=30), set())
    assert [(n.key, n.kind) for n in late] == [
        ("reminder-4h", "superseded"),
        ("reminder-1h", "reminder"),
    ]
    after = due_notices(step, ORG, opened + timedelta(hours=50), {"reminder-4h", "reminder-1h"})
    assert [(n.key, n.people) for n in after] == [
        ("escalation-1", ("zhang-min",)),
        ("escalation-2", ("tom-hughes",)),
    ]


def test_stranded_runs_are_those_waiting_at_a_taken_step_or_ended_while_open(
    sessions: sessionmaker[Session],
) -> None:
    """The invariant check's read: one query for all the steps the runs wait at."""
    runs = {name: uuid.uuid4() for name in ("taken", "open", "ended", "unknown")}
    complaints = {}
    for name in ("taken", "open", "ended"):
        complaint_id = _file(sessions)
        complaints[name] = complaint_id
        with sessions.begin() as session:
            service.mark_run_started(session, complaint_id, runs[name])
            complaint = service.require_complaint(session, complaint_id)
            step = _open_assessment(session, complaint).step
            if name == "taken":
                decisions.mark_applied(session, step)
    waiting: dict[uuid.UUID, str | None] = {
        runs["taken"]: "assessment-1",  # already taken: stranded
        runs["open"]: "assessment-1",  # waits where it should
        runs["ended"]: None,  # ended while its complaint is open
        runs["unknown"]: "assessment-1",  # no complaint of ours
    }
    with sessions() as session:
        found = repository.stranded_runs(session, waiting)
    assert sorted(found) == sorted(
        [
            (complaints["taken"], runs["taken"], "assessment-1"),
            (complaints["ended"], runs["ended"], "(ended)"),
        ]
    )
