"""Uploads: types from magic bytes only, limits, safe names, safe storage, integrity."""

from __future__ import annotations

import hashlib
import stat
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.audit import first_broken_link
from complaints.enums import StepKind
from complaints.files.uploads import (
    ALLOWED_TYPES,
    AttachmentDamaged,
    UploadRefused,
    open_attachment,
    safe_filename,
    sniff,
    store_uploads,
    stored_path,
)
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Attachment, Event, utcnow
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR, Settings
from complaints.steps import opening
from tests.support.people import complaint_payload

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
SECRET = "test-secret"

# The smallest headers real files of each type begin with.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
GIF87 = b"GIF87a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,"
GIF89 = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
HEIX = b"\x00\x00\x00\x18ftypheix\x00\x00\x00\x00mif1heix"
MIF1 = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(upload_dir=tmp_path / "uploads", **overrides)  # type: ignore[arg-type]


def _complaint(sessions: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    """File a complaint with an open assessment step; return their ids."""
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG)
        opened = opening.open_step(
            session,
            complaint,
            kind=StepKind.ASSESSMENT,
            key="assessment-1",
            assignee=complaint.handler,
            due_at=utcnow() + timedelta(days=2),
            secret=SECRET,
            link_grace=timedelta(hours=1),
        )
        return complaint.id, opened.step.id


def _counts(sessions: sessionmaker[Session], complaint_id: uuid.UUID) -> tuple[int, int]:
    with sessions() as session:
        rows = session.scalar(
            select(func.count())
            .select_from(Attachment)
            .where(Attachment.complaint_id == complaint_id)
        )
        events = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.complaint_id == complaint_id, Event.kind == "file.uploaded")
        )
        return int(rows or 0), int(events or 0)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (GIF87, "image/gif"),
        (GIF89, "image/gif"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (HEIX, "image/heic"),
        (MIF1, "image/heic"),
        (PDF, "application/pdf"),
    ],
)
def test_every_allowed_type_is_known_by_its_magic_bytes(data: bytes, content_type: str) -> None:
    assert sniff(data) == content_type
    assert content_type in ALLOWED_TYPES


@pytest.mark.parametrize(
    "data",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",  # Windows executable
        b"\x7fELF\x02\x01\x01\x00",  # Linux executable
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but not WebP
        b"\x00\x00\x00\x18ftypmp42",  # an MP4 video
        b"\xff\xd8",  # too short to be a JPEG
        b"PK\x03\x04",  # zip
    ],
)
def test_a_file_that_only_claims_to_be_a_photo_is_refused(
    data: bytes, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    assert sniff(data) is None
    complaint_id, step_id = _complaint(sessions)
    with sessions.begin() as session, pytest.raises(UploadRefused) as refused:
        store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=step_id,
            uploaded_by="complainant",
            files=[("photo.jpg", data)],
            settings=_settings(tmp_path),
        )
    assert str(refused.value) == (
        "photo.jpg is not a photo or PDF (allowed: JPEG, PNG, GIF, WebP, HEIC, PDF)"
    )


def test_limits_of_size_count_and_emptiness(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    complaint_id, step_id = _complaint(sessions)
    settings = _settings(tmp_path)

    def store(files: list[tuple[str, bytes]], limits: Settings = settings) -> None:
        with sessions.begin() as session:
            store_uploads(
                session,
                complaint_id=complaint_id,
                step_id=step_id,
                uploaded_by="complainant",
                files=files,
                settings=limits,
            )

    too_big = JPEG + b"\x00" * (settings.upload_max_bytes + 1 - len(JPEG))
    with pytest.raises(UploadRefused, match=r"^x\.jpg is larger than 10 MB$"):
        store([("x.jpg", too_big)])
    just_fits = JPEG + b"\x00" * (settings.upload_max_bytes - len(JPEG))
    store([("x.jpg", just_fits)])
    with pytest.raises(UploadRefused, match=r"^at most 5 files$"):
        store([(f"p{n}.png", PNG) for n in range(6)])
    with pytest.raises(UploadRefused, match=r"^empty\.pdf is empty$"):
        store([("empty.pdf", b"")])
    small = _settings(tmp_path, upload_max_bytes=2048, upload_max_files=2)
    with pytest.raises(UploadRefused, match=r"^big\.pdf is larger than 2 KB$"):
        store([("big.pdf", PDF + b" " * 2048)], small)
    with pytest.raises(UploadRefused, match=r"^at most 2 files$"):
        store([("a.pdf", PDF)] * 3, small)
    assert _counts(sessions, complaint_id) == (1, 1)


def test_one_bad_file_refuses_the_submission_and_nothing_is_written(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    complaint_id, step_id = _complaint(sessions)
    settings = _settings(tmp_path)
    files = [
        ("a.jpg", JPEG),
        ("b.png", PNG),
        ("evil.jpg", b"<html><script>x</script>"),
        ("c.pdf", PDF),
    ]
    with sessions.begin() as session, pytest.raises(UploadRefused, match=r"^evil\.jpg "):
        store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=step_id,
            uploaded_by="li-wei",
            files=files,
            settings=settings,
        )
    assert not settings.upload_dir.exists() or not any(settings.upload_dir.rglob("*"))
    assert _counts(sessions, complaint_id) == (0, 0)


def test_stored_files_live_under_their_id_private_and_hashed(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    complaint_id, step_id = _complaint(sessions)
    settings = _settings(tmp_path)
    files = [("../../etc/passwd.jpg", JPEG), ("报告 (final).pdf", PDF), ("notes.html", PDF)]
    with sessions.begin() as session:
        stored = store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=step_id,
            uploaded_by="complainant",
            files=files,
            settings=settings,
        )
    assert [a.filename for a in stored] == ["passwd.jpg", "报告 (final).pdf", "notes.html.pdf"]
    assert [a.content_type for a in stored] == ["image/jpeg", "application/pdf", "application/pdf"]
    on_disk = sorted(p for p in settings.upload_dir.rglob("*") if p.is_file())
    assert on_disk == sorted(stored_path(settings, a.id) for a in stored)
    for attachment, (_, data) in zip(stored, files, strict=True):
        path = stored_path(settings, attachment.id)
        assert path.relative_to(settings.upload_dir).parts == (
            attachment.id.hex[:2],
            attachment.id.hex,
        )
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
        assert attachment.size == len(data)
        assert open_attachment(settings, attachment) == data
    with sessions() as session:
        events = session.scalars(
            select(Event).where(Event.complaint_id == complaint_id, Event.kind == "file.uploaded")
        ).all()
        assert [e.data["attachment_id"] for e in events] == [str(a.id) for a in stored]
        assert all(e.actor == "complainant" for e in events)
        assert first_broken_link(session, complaint_id) is None
    assert _counts(sessions, complaint_id) == (3, 3)


def test_a_file_altered_on_disk_is_not_served(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    complaint_id, _ = _complaint(sessions)
    settings = _settings(tmp_path)
    with sessions.begin() as session:
        (first, second) = store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=None,
            uploaded_by="li-wei",
            files=[("a.png", PNG), ("b.png", PNG)],
            settings=settings,
        )
    path = stored_path(settings, first.id)
    path.write_bytes(PNG[:-1] + b"\x01")
    with pytest.raises(AttachmentDamaged):
        open_attachment(settings, first)
    stored_path(settings, second.id).unlink()
    with pytest.raises(AttachmentDamaged):
        open_attachment(settings, second)


def test_a_step_of_another_complaint_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    complaint_id, _ = _complaint(sessions)
    _, other_step = _complaint(sessions)
    with sessions.begin() as session, pytest.raises(ValueError, match="not a step"):
        store_uploads(
            session,
            complaint_id=complaint_id,
            step_id=other_step,
            uploaded_by="li-wei",
            files=[("a.png", PNG)],
            settings=_settings(tmp_path),
        )


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("..\\..\\Windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("bad\x00na\nme\r\t.jpg", "badname.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("漏水照片.jpg", "漏水照片.jpg"),
        ("..", "file"),
        ("", "file"),
        ("/", "file"),
        (".hidden.png", "hidden.png"),
        ("  spaced.png  ", "spaced.png"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_safe_filename_is_short_and_keeps_its_extension() -> None:
    long = safe_filename("照" * 300 + ".jpeg")
    assert len(long) == 120 and long.endswith(".jpeg")
    assert len(safe_filename("x" * 500)) == 120
