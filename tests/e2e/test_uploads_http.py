"""Uploaded files over real HTTP: who may fetch them through which link, how they are
served, and the body-size guard that lets step forms carry files and nothing else."""

from __future__ import annotations

import http.client
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import StepKind
from complaints.files.uploads import store_uploads
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.mail.addresses import COMPLAINANT
from complaints.models import Attachment, utcnow
from complaints.organization import load_organization
from complaints.settings import Settings
from complaints.steps import opening
from tests.support.people import complaint_payload
from tests.support.processes import BIN, free_port, start, stop, wait_http
from tests.support.stack import Stack
from ui_api.app import MAX_BODY_BYTES
from ui_api.links import file_url

pytestmark = pytest.mark.e2e

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x01" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Web:
    base: str
    port: int
    settings: Settings  # what the web app runs with (its secret, its upload folder)


@pytest.fixture(scope="module")
def web(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """A web app on the stack's database whose uploads live in a folder of the module's own."""
    tmp_path = Path(tmp_path_factory.mktemp("uploads-web"))
    port = free_port()
    env = stack.env(
        COMPLAINTS_HTTP_PORT=str(port),
        COMPLAINTS_PUBLIC_URL=f"http://127.0.0.1:{port}",
        COMPLAINTS_UPLOAD_DIR=str(tmp_path / "uploads"),
        # The stack's own web app keeps the runs going; this one only serves.
        COMPLAINTS_RECONCILE_INTERVAL_SECONDS="3600",
    )
    settings = Settings(
        database_url=env["COMPLAINTS_DATABASE_URL"],
        secret_key=SecretStr(env["COMPLAINTS_SECRET_KEY"]),
        upload_dir=tmp_path / "uploads",
    )
    process = start(
        [str(BIN / "uvicorn"), "ui_api.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env,
        tmp_path / "web.log",
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", process)
        yield Web(f"http://127.0.0.1:{port}", port, settings)
    finally:
        stop(process)


@dataclass
class Case:
    handler_token: str
    complainant_token: str
    photo: Attachment  # uploaded by the complainant
    evidence: Attachment  # uploaded by the handler


def _case(sessions: sessionmaker[Session], stack: Stack, settings: Settings) -> Case:
    """File a complaint with a step, a link for its handler and one for the complainant,
    and a file from each."""
    org = load_organization(stack.organization_file)
    secret = settings.secret_key.get_secret_value()
    with sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), org)
        opened = opening.open_step(
            session,
            complaint,
            kind=StepKind.ASSESSMENT,
            key="upload-check",
            assignee=complaint.handler,
            due_at=utcnow() + timedelta(days=2),
            secret=secret,
            link_grace=timedelta(hours=1),
        )
        assert opened.token is not None
        complainant_token = opening.issue_token(
            session,
            opened.step,
            recipient=COMPLAINANT,
            secret=secret,
            grace=timedelta(hours=1),
        )
        (photo,) = store_uploads(
            session,
            complaint_id=complaint.id,
            step_id=opened.step.id,
            uploaded_by=COMPLAINANT,
            files=[("漏水 photo.jpg", JPEG)],
            settings=settings,
        )
        (evidence,) = store_uploads(
            session,
            complaint_id=complaint.id,
            step_id=opened.step.id,
            uploaded_by=complaint.handler,
            files=[("../8D report.pdf", PDF)],
            settings=settings,
        )
    return Case(opened.token, complainant_token, photo, evidence)


def _get(web: Web, token: str, attachment_id: uuid.UUID | str) -> httpx.Response:
    if isinstance(attachment_id, uuid.UUID):
        url = file_url(token, attachment_id)
    else:
        url = f"/s/{quote(token, safe='')}/files/{attachment_id}"
    return httpx.get(f"{web.base}{url}", timeout=10)


def _is_invalid_link_page(response: httpx.Response) -> bool:
    return response.status_code == 404 and response.headers["content-type"].startswith("text/html")


def test_files_are_served_through_their_complaints_links_only(
    web: Web, stack: Stack, stack_sessions: sessionmaker[Session]
) -> None:
    case = _case(stack_sessions, stack, web.settings)
    other = _case(stack_sessions, stack, web.settings)

    pdf = _get(web, case.handler_token, case.evidence.id)
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == "attachment; filename*=UTF-8''8D%20report.pdf"
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["content-security-policy"] == "sandbox; default-src 'none'; img-src 'self'"
    assert pdf.headers["cache-control"] == "private, no-store"

    photo = _get(web, case.handler_token, case.photo.id)
    assert photo.status_code == 200 and photo.content == JPEG
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["content-disposition"] == (
        f"inline; filename*=UTF-8''{quote('漏水 photo.jpg', safe='')}"
    )

    # The complainant sees what they sent, nothing the organization added.
    own = _get(web, case.complainant_token, case.photo.id)
    assert own.status_code == 200 and own.content == JPEG
    assert _is_invalid_link_page(_get(web, case.complainant_token, case.evidence.id))

    # A good link shows its own complaint's files, not another's.
    assert _is_invalid_link_page(_get(web, case.handler_token, other.evidence.id))
    assert _is_invalid_link_page(_get(web, case.complainant_token, other.photo.id))
    assert _is_invalid_link_page(_get(web, case.handler_token, uuid.uuid4()))
    assert _is_invalid_link_page(_get(web, case.handler_token, "not-an-id"))

    # A tampered or unknown token shows nothing.
    tampered = case.handler_token[:-1] + ("A" if case.handler_token[-1] != "A" else "B")
    assert _is_invalid_link_page(_get(web, tampered, case.evidence.id))
    assert _is_invalid_link_page(_get(web, "unknown", case.evidence.id))


def _declare_length(web: Web, path: str, length: int) -> int:
    """Send only the headers of a POST declaring a body of ``length``; return the status."""
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_step_forms_may_carry_files_and_other_bodies_stay_small(web: Web) -> None:
    settings = web.settings
    step_limit = settings.upload_max_files * settings.upload_max_bytes + MAX_BODY_BYTES
    assert _declare_length(web, "/s/x", step_limit + 1) == 413
    assert _declare_length(web, "/api/complaints", MAX_BODY_BYTES + 1) == 413

    # A body above the general limit but within a step form's passes the guard.
    body = b"a=" + b"x" * (MAX_BODY_BYTES + 1024)
    step_post = httpx.post(
        f"{web.base}/s/x",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert step_post.status_code not in {411, 413}
    intake = httpx.post(
        f"{web.base}/api/complaints",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert intake.status_code == 413

    # Chunked, a step form's body has no length to check: it must declare one.
    def chunks() -> Iterator[bytes]:
        yield b"a=1"

    chunked = httpx.post(
        f"{web.base}/s/x",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert chunked.status_code == 411
