"""Retention with a moved clock: only what has expired is erased, in batches, and a second
pass does nothing; the report and the artifact carry counts only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.audit import first_broken_link, record_event
from complaints.db import make_engine
from complaints.files.uploads import stored_path
from complaints.models import Attachment, Complaint, Event, InboundMessage, OutboxMessage, utcnow
from complaints.organization import parse_organization
from complaints.privacy.report import queue_retention_report, retention_markdown
from complaints.privacy.retention import RetentionCounts, retention_batch
from complaints.settings import PROJECT_DIR
from tests.complaints.test_privacy import IP, Filed, _closed, _settings
from tests.conftest import migrated_database
from tests.support.people import complaint_payload


@pytest.fixture
def own_sessions(backend: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A database of its own: retention acts on every complaint a database holds."""
    with migrated_database(backend, tmp_path) as url:
        engine = make_engine(url)
        yield sessionmaker(engine, expire_on_commit=False)
        engine.dispose()


# The sample organization, erasing in batches of one to show the passes add up.
ORG = parse_organization(
    (PROJECT_DIR / "samples" / "organization.toml")
    .read_text(encoding="utf-8")
    .replace("batch = 100", "batch = 1")
)


def _closed_ago(sessions: sessionmaker[Session], tmp_path: Path, days: int) -> Filed:
    filed = _closed(sessions, _settings(tmp_path), complaint_payload())
    with sessions.begin() as session:
        session.get_one(Complaint, filed.id).closed_at = utcnow() - timedelta(days=days)
    return filed


def _files(session: Session, filed: Filed, tmp_path: Path) -> list[bool]:
    rows = session.scalars(select(Attachment).where(Attachment.complaint_id == filed.id))
    return sorted(stored_path(_settings(tmp_path), a.id).exists() for a in rows)


def test_retention_erases_only_what_has_expired_and_twice_does_nothing(
    own_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    sessions = own_sessions
    settings = _settings(tmp_path)
    expired = _closed_ago(sessions, tmp_path, 1100)  # past the 1095 days of personal data
    also_expired = _closed_ago(sessions, tmp_path, 1096)
    uploads_only = _closed_ago(sessions, tmp_path, 400)  # past the 365 days of uploads
    recent = _closed_ago(sessions, tmp_path, 10)
    as_of = utcnow()
    with sessions.begin() as session:  # an IP address recorded long ago on a recent complaint
        record_event(
            session,
            recent.id,
            "note.added",
            actor="li-wei",
            client_addr="198.51.100.7",
            at=as_of - timedelta(days=1096),
        )
    totals = RetentionCounts()
    passes = 0
    while True:
        with sessions.begin() as session:
            batch = retention_batch(session, ORG, settings, as_of=as_of)
        batch.erased.remove_after_commit(settings)
        passes += 1
        if batch.counts.empty:
            break
        totals.add(batch.counts)
    assert passes == 3  # batches of one complaint: two, then nothing left
    assert (totals.complaints, totals.files, totals.addresses) == (2, 5, 1)
    with sessions() as session:
        for gone in (expired, also_expired):
            assert session.get_one(Complaint, gone.id).complainant_email != gone.email
        for kept in (uploads_only, recent):
            assert session.get_one(Complaint, kept.id).complainant_email == kept.email
        assert _files(session, expired, tmp_path) == [False, False]
        assert _files(session, uploads_only, tmp_path) == [False, True]  # the report stays
        assert _files(session, recent, tmp_path) == [True, True]
        addresses = session.scalars(
            select(Event.client_addr).where(Event.complaint_id == recent.id)
        ).all()
        assert IP in addresses and "198.51.100.7" not in addresses
        for filed in (expired, also_expired, uploads_only, recent):
            assert first_broken_link(session, filed.id) is None
    with sessions.begin() as session:
        again = retention_batch(session, ORG, settings, as_of=as_of)
    assert again.counts.empty
    with sessions.begin() as session:
        assert queue_retention_report(session, ORG, RetentionCounts(), as_of=as_of) == []
        [message_id] = queue_retention_report(session, ORG, totals, as_of=as_of)
        message = session.get_one(OutboxMessage, message_id)
        assert message.recipient == "zhang.min@acme.example"
        for text in (expired.name, expired.email, IP):
            assert text not in message.body_text + message.subject
    markdown = retention_markdown(totals, ORG, as_of=as_of)
    assert "| complaints | 2 |" in markdown and expired.email not in markdown


def test_raw_mail_kept_for_an_operator_is_forgotten_when_personal_data_would_be(
    own_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    as_of = utcnow()
    old, recent = uuid.uuid4(), uuid.uuid4()
    with own_sessions.begin() as session:
        for id_, days in ((old, 1100), (recent, 10)):
            session.add(
                InboundMessage(
                    id=id_,
                    message_id=f"<{id_}@example.org>",
                    received_at=as_of - timedelta(days=days),
                    outcome="kept",
                    reason="no sender",
                    raw="From: someone\r\n\r\nMy name is Ada and my phone is 555-0100",
                )
            )
    texts = 0
    for _ in range(3):  # a second and third pass find nothing more
        with own_sessions.begin() as session:
            texts += retention_batch(session, ORG, _settings(tmp_path), as_of=as_of).counts.texts
    with own_sessions() as session:
        assert session.get_one(InboundMessage, old).raw is None
        assert session.get_one(InboundMessage, recent).raw is not None
    assert texts == 1
