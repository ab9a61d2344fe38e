"""The management review (ISO 10002 8.6, ISO 9001 9.3) in our records: convened once
with its pack and invitation, its minutes turned into actions with one owner and a due
date each, reminded and escalated like corrective actions, and reported on with their
outcome in the next review's pack."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.enums import StepStatus
from complaints.mail.mime import stored_file_reader
from complaints.management.contracts import ActionDone, ReviewMinutes
from complaints.management.convene import Convened, convene
from complaints.management.decide import (
    DecisionRefused,
    change_action,
    minutes_task,
    report_done,
)
from complaints.management.minutes import (
    apply_minutes,
    decided_minutes_not_applied,
    next_review,
    record_minutes,
)
from complaints.management.pack import Outcome
from complaints.management.watch import watch_review_tasks
from complaints.models import OutboxMessage, Review, ReviewLink, ReviewTask, TaskKind
from complaints.settings import Settings
from complaints.steps.contracts import ActionChange
from tests.conftest import migrated_database
from tests.support.review_data import ORG, load

# A fixed clock: the data set is March 2025 (Asia/Shanghai); the review is in April.
NOW = datetime(2025, 4, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[tuple[sessionmaker[Session], Settings]]:
    with migrated_database(backend, tmp_path) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions, Settings(upload_dir=tmp_path / "uploads")


def _convene(
    sessions: sessionmaker[Session], settings: Settings, key: str, now: datetime
) -> Convened:
    with sessions.begin() as session:
        return convene(
            session,
            ORG,
            settings,
            key=key,
            flow_run_id=None,
            participants=["zhang-min", "tom-hughes"],
            chair="tom-hughes",
            meeting_in_days=7,
            now=now,
        )


def _minutes() -> ReviewMinutes:
    return ReviewMinutes.model_validate(
        {
            "attended": ["tom-hughes", "zhang-min"],
            "summary": "Containment too slow on kettles",
            "decisions": [
                {
                    "area": "resources",
                    "description": "Train the night shift on containment",
                    "owner": "li-wei",
                    "due_on": "2025-04-30",
                },
                {
                    "area": "process",
                    "description": "Check incoming thermostats",
                    "owner": "anna-berg",
                    "due_on": "2025-05-15",
                },
            ],
            "next_review_on": "2025-07-01",
        }
    )


def _mails(session: Session, review_id: object, part: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dedup_key.like(f"review:{review_id}:{part}%"))
            .order_by(OutboxMessage.recipient)
        )
    )


def _pdf_text(session: Session, settings: Settings, message: OutboxMessage) -> str:
    read = stored_file_reader(session, settings, None)
    [pdf] = [a for a in message.attachments if a["content_type"] == "application/pdf"]
    data = read(uuid.UUID(pdf["attachment_id"]))
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\x00", "")


def test_a_review_is_convened_once_with_its_pack_and_invitation(
    db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = db
    first = _convene(sessions, settings, "run-1", NOW)
    again = _convene(sessions, settings, "run-1", NOW)
    assert (again.review_id, sorted(again.message_ids)) == (
        first.review_id,
        sorted(first.message_ids),
    )
    assert first.reference == "MR-2025-04-02"
    with sessions() as session:
        mails = _mails(session, first.review_id, "pack")
        # Each participant, in their own language.
        assert sorted(m.recipient_name for m in mails) == ["Tom Hughes", "Zhang Min"]
        by_name = {m.recipient_name: m for m in mails}
        tom, zhang = by_name["Tom Hughes"], by_name["Zhang Min"]
        assert tom.subject == "Management review MR-2025-04-02: inputs and invitation"
        assert "管理评审" in zhang.subject
        # Only the chair gets the link to the minutes.
        assert "/r/" in tom.body_text and "/r/" not in zhang.body_text
        kinds = sorted(a["content_type"] for a in tom.attachments)
        assert kinds == ["application/pdf", "text/calendar"]
        calendar = next(a for a in tom.attachments if a["content_type"] == "text/calendar")
        assert "METHOD:REQUEST" in calendar["text"]
        # 10:00 in Shanghai a week later.
        assert "DTSTART;TZID=Asia/Shanghai:20250409T100000" in calendar["text"]
        text = _pdf_text(session, settings, zhang)
        assert "管理评审" in text and "MR-2025-04-02" in text
        review = session.scalars(select(Review).where(Review.key == "run-1")).one()
        assert review.kind == "management" and review.recipients == ["tom-hughes", "zhang-min"]
        task = minutes_task(session, review.id)
        assert (task.assignee, task.status) == ("tom-hughes", StepStatus.OPEN)


def test_minutes_become_actions_and_the_next_pack_reports_their_outcome(
    db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = db
    convened = _convene(sessions, settings, "run-1", NOW)
    decided_at = NOW + timedelta(days=8)
    with sessions.begin() as session:
        task = minutes_task(session, convened.review_id)
        assert record_minutes(session, ORG, task, _minutes(), by="tom-hughes", now=decided_at)
        assert not record_minutes(session, ORG, task, _minutes(), by="zhang-min", now=decided_at)
    with sessions() as session:
        assert [r for r, _ in decided_minutes_not_applied(session)] == []  # no run to resume
    with sessions.begin() as session:
        first = apply_minutes(session, ORG, settings, convened.review_id, now=decided_at)
    with sessions.begin() as session:
        again = apply_minutes(session, ORG, settings, convened.review_id, now=decided_at)
    assert len(first) == 2 + 2  # each owner's request, each participant's record
    assert again == first[2:]  # the record again (kept), no action opened twice
    with sessions() as session:
        actions = session.scalars(
            select(ReviewTask).where(ReviewTask.kind == TaskKind.ACTION).order_by(ReviewTask.number)
        ).all()
        assert [(a.assignee, a.details["area"]) for a in actions] == [
            ("li-wei", "resources"),
            ("anna-berg", "process"),
        ]
        # Due at 17:00 Shanghai time on the day the minutes name.
        assert actions[0].due_at == datetime(2025, 4, 30, 9, 0, tzinfo=UTC)
        requests = _mails(session, convened.review_id, "action")
        assert sorted(m.recipient_name for m in requests) == ["Anna Berg", "Li Wei"]
        [record] = [
            m for m in _mails(session, convened.review_id, "record") if "Tom" in m.recipient_name
        ]
        text = _pdf_text(session, settings, record)
        assert "Train the night shift on containment" in text and "2025-07-01" in text

    # One action is done with evidence; the other is never done and escalates.
    done_at = datetime(2025, 4, 20, 3, 0, tzinfo=UTC)
    with sessions.begin() as session:
        first_action = session.get_one(ReviewTask, actions[0].id)
        done = ActionDone(note="Trained 14 people", evidence=[])
        assert report_done(session, first_action, done, by="li-wei", now=done_at)
    late = datetime(2025, 5, 16, 3, 0, tzinfo=UTC)  # the day after the second was due
    with sessions.begin() as session:
        queued = watch_review_tasks(session, ORG, settings, now=late)
    with sessions.begin() as session:
        assert watch_review_tasks(session, ORG, settings, now=late) == []  # told once
        notices = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(queued))).all()
        # The latest reminder to the owner (the earlier one superseded), and the first
        # rung of the ladder: the quality lead.
        assert sorted(m.recipient_name for m in notices) == ["Anna Berg", "Zhang Min"]
        escalation = next(m for m in notices if m.recipient_name == "Zhang Min")
        assert "Anna Berg" in escalation.body_text and "/r/" in escalation.body_text
        second = session.get_one(ReviewTask, actions[1].id)
        assert second.notices == ["reminder-4h", "reminder-1h", "escalation-1"]

    # The next review's pack lists both, with their outcome.
    later = _convene(sessions, settings, "run-2", late + timedelta(hours=1))
    with sessions() as session:
        review = session.get_one(Review, later.review_id)
        reported = {a["description"]: a["outcome"] for a in review.figures["earlier_actions"]}
        assert reported == {
            "Train the night shift on containment": Outcome.DONE_ON_TIME,
            "Check incoming thermostats": Outcome.OVERDUE,
        }
        tom = next(m for m in _mails(session, later.review_id, "pack") if "Tom" in m.recipient_name)
        text = _pdf_text(session, settings, tom)
        assert "Done on time" in text and "Overdue" in text
        assert "Trained 14 people" in text


def test_minutes_naming_strangers_are_refused_and_an_action_can_be_reassigned(
    db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = db
    convened = _convene(sessions, settings, "run-1", NOW)
    strange = _minutes().model_copy(deep=True)
    strange.decisions[1].owner = "nobody"
    with sessions.begin() as session, pytest.raises(DecisionRefused) as refused:
        record_minutes(
            session, ORG, minutes_task(session, convened.review_id), strange, by="x", now=NOW
        )
    assert refused.value.field == "owner_2"
    with sessions.begin() as session:
        task = minutes_task(session, convened.review_id)
        record_minutes(session, ORG, task, _minutes(), by="tom-hughes", now=NOW)
        apply_minutes(session, ORG, settings, convened.review_id, now=NOW)
    with sessions.begin() as session:
        action = session.scalars(
            select(ReviewTask).where(ReviewTask.kind == TaskKind.ACTION, ReviewTask.number == 2)
        ).one()
        anna_links = select(ReviewLink).where(
            ReviewLink.task_id == action.id, ReviewLink.recipient == "anna-berg"
        )
        assert session.scalars(anna_links).all()  # her link, from the request
        change = ActionChange(owner="wang-jun", reason="Anna is on leave")
        message = change_action(session, ORG, settings, action, change, by="zhang-min", now=NOW)
        assert message is not None and message.recipient_name == "Wang Jun"
        assert "Anna is on leave" in message.body_text
        assert session.scalars(anna_links).all() == []  # her link stops working
        assert action.assignee == "wang-jun" and action.history[0]["owner"] == [
            "anna-berg",
            "wang-jun",
        ]
        with pytest.raises(DecisionRefused):
            change_action(
                session,
                ORG,
                settings,
                action,
                ActionChange(owner="nobody", reason="x"),
                by="z",
                now=NOW,
            )


@pytest.mark.parametrize(
    ("next_on", "starts_at", "meeting_in_days"),
    [
        # A week ahead of the day, at 09:00 in Shanghai (01:00 UTC).
        ("2025-07-01", datetime(2025, 6, 24, 1, 0, tzinfo=UTC), 7),
        # Three days away: convened at once, meeting on that day.
        ("2025-04-05", NOW, 3),
        # A day already past: at once, meeting the same day.
        ("2025-03-01", NOW, 0),
    ],
)
def test_the_next_review_is_convened_to_meet_on_the_day_the_minutes_set(
    next_on: str, starts_at: datetime, meeting_in_days: int
) -> None:
    minutes = _minutes().model_copy(update={"next_review_on": date.fromisoformat(next_on)})
    planned = next_review(ORG, minutes, NOW)
    assert (planned.starts_at, planned.meeting_in_days) == (starts_at, meeting_in_days)
