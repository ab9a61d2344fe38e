"""Erasure and export of one complainant's personal data, in the domain, on both databases."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.audit import erasures_of, first_broken_link
from complaints.enums import DecisionChannel, Resolution, RunStatus, Stage, StepKind, StepStatus
from complaints.files.uploads import store_generated, store_uploads, stored_path
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Attachment, Complaint, Event, LinkToken, OutboxMessage, Step
from complaints.organization import load_organization
from complaints.privacy.closing import note_run_forgotten, runs_to_forget
from complaints.privacy.erasure import ErasureRefused, complaints_of, erase_complaint
from complaints.privacy.exports import find_export, make_export, take_export
from complaints.privacy.personal import scrub
from complaints.seals import ERASED
from complaints.settings import PROJECT_DIR, Settings
from complaints.steps import decisions, opening
from complaints.steps.contracts import InfoResponse
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
IP = "203.0.113.9"


@dataclass(frozen=True)
class Filed:
    id: uuid.UUID
    name: str
    email: str
    phone: str
    answer: str


def _settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        upload_dir=tmp_path / "uploads", mailbox_dir=tmp_path / "mailbox", secret_key="s" * 40
    )


def _closed(
    sessions: sessionmaker[Session], settings: Settings, payload: dict[str, object]
) -> Filed:
    """A complaint the complainant answered a question on (with a photo), then closed."""
    who = payload["complainant"]
    assert isinstance(who, dict)
    answer = f"I am {who['name']}, call me on {who['phone']}"
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**payload), ORG)  # type: ignore[arg-type]
        opened = opening.open_step(
            session,
            complaint,
            kind=StepKind.INFO_REQUEST,
            key="info-request-1",
            assignee="complainant",
            due_at=NOW + timedelta(days=3),
            secret=settings.secret_key.get_secret_value(),
            link_grace=timedelta(hours=1),
        )
        photo = store_uploads(
            session,
            complaint_id=complaint.id,
            step_id=opened.step.id,
            uploaded_by="complainant",
            files=[("my-kettle.jpg", JPEG)],
            settings=settings,
            client_addr=IP,
        )
        decisions.record_decision(
            session,
            opened.step,
            InfoResponse(answer=answer, files=[photo[0].id]),
            decided_by="complainant",
            channel=DecisionChannel.EMAIL_LINK,
            client_addr=IP,
        )
        store_generated(
            session,
            complaint_id=complaint.id,
            filename=f"report-{complaint.reference}.pdf",
            content_type="application/pdf",
            data=f"%PDF report for {who['name']}".encode(),
            settings=settings,
        )
        session.add(
            OutboxMessage(
                dedup_key=f"ack-{complaint.id}",
                complaint_id=complaint.id,
                kind="acknowledgement",
                recipient=str(who["email"]),
                recipient_name=str(who["name"]),
                subject=f"Your complaint {complaint.reference}",
                body_text=f"Dear {who['name']}, we received it.",
                body_html=f"<p>Dear {who['name']}</p>",
                message_id=f"<{uuid.uuid4()}@test>",
            )
        )
        service.close(session, complaint.id, Resolution.NOT_OURS)
        return Filed(complaint.id, str(who["name"]), str(who["email"]), str(who["phone"]), answer)


def _everything(session: Session, complaint_id: uuid.UUID) -> str:
    """Every text held about a complaint, in one string, for searching."""
    rows: list[object] = [session.get(Complaint, complaint_id)]
    for model in (Step, Event, OutboxMessage, Attachment):
        rows += session.scalars(select(model).where(model.complaint_id == complaint_id)).all()  # type: ignore[attr-defined]
    return json.dumps(
        [{c.name: getattr(r, c.key, None) for c in r.__table__.columns} for r in rows],  # type: ignore[attr-defined]
        default=str,
        ensure_ascii=False,
    )


def test_erasure_removes_a_complainants_data_everywhere_and_keeps_the_rest(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    payload = complaint_payload()
    theirs = [_closed(sessions, settings, payload), _closed(sessions, settings, payload)]
    other = _closed(sessions, settings, complaint_payload())
    with sessions.begin() as session:
        found = complaints_of(session, email=theirs[0].email.upper())
        assert [c.id for c in found] == [f.id for f in theirs]
        done = [
            erase_complaint(
                session, c, by="zhang-min", reason="asked by phone", settings=settings, now=NOW
            )
            for c in found
        ]
    for erased in done:
        erased.remove_after_commit(settings)
        assert (erased.complaints, erased.files, erased.emails) == (1, 2, 1)
    with sessions() as session:
        for filed in theirs:
            held = _everything(session, filed.id)
            for text in (filed.name, filed.email, filed.phone, filed.answer, IP, "my-kettle"):
                assert text not in held
            complaint = session.get_one(Complaint, filed.id)
            assert (complaint.resolution, complaint.product) == (
                Resolution.NOT_OURS,
                "Electric kettle K2",
            )
            assert complaint.erased_at == NOW and complaint.complainant_name == ERASED
            assert first_broken_link(session, filed.id) is None
            [erasure] = erasures_of(session, filed.id)
            assert (erasure.by, erasure.reason) == ("zhang-min", "asked by phone")
            assert erasure.texts >= 3
            step_ids = select(Step.id).where(Step.complaint_id == filed.id)
            assert (
                session.scalars(select(LinkToken).where(LinkToken.step_id.in_(step_ids))).all()
                == []
            )
            for attachment in session.scalars(
                select(Attachment).where(Attachment.complaint_id == filed.id)
            ):
                assert not stored_path(settings, attachment.id).exists()
            # Erasing again finds nothing to do: no second erasure event.
            assert (
                erase_complaint(
                    session, complaint, by="x", reason="y", settings=settings, now=NOW
                ).complaints
                == 0
            )
        kept = _everything(session, other.id)
        for text in (other.name, other.email, other.phone, other.answer, IP):
            assert text in kept
        assert complaints_of(session, email=theirs[0].email) == []


def test_an_open_complaint_is_erased_only_by_closing_it_with_its_run_to_forget(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG)
        opening.open_step(
            session,
            complaint,
            kind=StepKind.ASSESSMENT,
            key="assessment-1",
            assignee=complaint.handler,
            due_at=NOW + timedelta(days=1),
            secret=settings.secret_key.get_secret_value(),
            link_grace=timedelta(hours=1),
        )
        with pytest.raises(ErasureRefused):
            erase_complaint(
                session, complaint, by="zhang-min", reason="r", settings=settings, now=NOW
            )
        done = erase_complaint(
            session,
            complaint,
            by="zhang-min",
            reason="asked to be forgotten",
            settings=settings,
            now=NOW,
            close_open=True,
        )
        assert done.complaints == 1
        assert (complaint.stage, complaint.resolution) == (Stage.CLOSED, Resolution.WITHDRAWN)
        assert complaint.run_status is RunStatus.FORGET
        steps = session.scalars(select(Step).where(Step.complaint_id == complaint.id)).all()
        assert [s.status for s in steps] == [StepStatus.CANCELLED]
        assert (complaint.id, None) in runs_to_forget(session)
        note_run_forgotten(session, complaint.id)
        assert (complaint.id, None) not in runs_to_forget(session)
        assert first_broken_link(session, complaint.id) is None
        kinds = session.scalars(
            select(Event.kind).where(Event.complaint_id == complaint.id).order_by(Event.seq)
        ).all()
        assert kinds[-3:] == ["complaint.closed", "personal_data.erased", "run.forgotten"]


def test_an_open_complaint_is_not_erased(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG)
        with pytest.raises(ErasureRefused):
            erase_complaint(
                session, complaint, by="zhang-min", reason="r", settings=settings, now=NOW
            )


def test_an_export_holds_exactly_the_complainants_records_and_files_behind_one_use_link(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    payload = complaint_payload()
    theirs = [_closed(sessions, settings, payload), _closed(sessions, settings, payload)]
    other = _closed(sessions, settings, complaint_payload())
    with sessions.begin() as session:
        link = make_export(
            session,
            complaints_of(session, email=theirs[0].email),
            by="zhang-min",
            settings=settings,
            now=NOW,
        )
        references = {f.id: session.get_one(Complaint, f.id).reference for f in (*theirs, other)}
    with sessions.begin() as session:
        assert find_export(session, link.token + "x", settings, NOW) is None
        export = find_export(session, link.token, settings, NOW)
        assert export is not None
        data = take_export(session, export, settings, NOW)
    with sessions() as session:
        assert find_export(session, link.token, settings, NOW) is None  # used once
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    folders = {n.split("/")[1] for n in names if n.startswith("complaints/")}
    assert folders == {references[f.id] for f in theirs}
    person = json.loads(archive.read("complainant.json"))
    assert (person["name"], person["email"]) == (theirs[0].name, theirs[0].email)
    for filed in theirs:
        folder = f"complaints/{references[filed.id]}"
        record = json.loads(archive.read(f"{folder}/record.json"))
        assert record["your_answers"][0]["decision"]["answer"] == filed.answer
        [photo] = [n for n in names if n.startswith(f"{folder}/files/")]
        assert photo.endswith("my-kettle.jpg") and archive.read(photo) == JPEG
        assert any(n.startswith(f"{folder}/emails/") and n.endswith(".txt") for n in names)
    assert other.name not in data.decode("latin-1")


def test_an_export_link_expires(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    filed = _closed(sessions, settings, complaint_payload())
    with sessions.begin() as session:
        found = complaints_of(session, email=filed.email)
        link = make_export(session, found, by="zhang-min", settings=settings, now=NOW)
    later = NOW + timedelta(hours=settings.export_link_hours)
    with sessions() as session:
        assert find_export(session, link.token, settings, later - timedelta(seconds=1)) is not None
        assert find_export(session, link.token, settings, later) is None


def test_keys_and_codes_stay_even_when_a_complainants_words_match_them() -> None:
    strings = {"repair", "wang fang", "wang.fang@example.com"}
    decision = {
        "measures": [
            {"type": "repair", "note": "Repair the kettle of Wang Fang", "owner": "li-wei"}
        ],
        "answer": "whatever",
        "cc": "wang.fang@example.com",
    }
    assert scrub(decision, strings, frozenset({"answer"})) == {
        "measures": [{"type": "repair", "note": ERASED, "owner": "li-wei"}],
        "answer": ERASED,
        "cc": ERASED,
    }
