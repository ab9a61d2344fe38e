"""The public complaint form and "How we handle complaints" (ISO 10002 7.1, 7.2): errors
at their fields in the page's language, nothing stored until all is valid, and the form
kept from being turned against anyone (honeypot, posts per client, body size, the
acknowledgements one address may get)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import Channel, EmailKind, EventKind
from complaints.mail.complainant import acknowledge
from complaints.models import Attachment, Complaint, Event, OutboxMessage, utcnow
from complaints.organization import load_organization
from tests.web.conftest import WebApp

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def _form(**changes: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    form = {
        "name": f"Wang {tag}",
        "email": f"wang.{tag}@example.com",
        "phone": "+86 138 0000 0000",
        "product": "Electric kettle K2",
        "occurred_on": "",
        "description": "The kettle leaks at the base.",
        "requested_remedy": "A new kettle",
        "consent": "yes",
        "website": "",
    }
    form.update(changes)
    return form


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_form_and_the_handling_page_speak_the_readers_language(web: WebApp) -> None:
    with web.client() as client:
        english = client.get("/complain", headers={"Accept-Language": "en-GB"})
        chinese = client.get("/complain", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        switched = client.get("/complain?lang=zh-CN")
        handling = client.get("/how-we-handle-complaints?lang=zh-CN")
        home = client.get("/")
    assert english.status_code == 200 and "Make a complaint" in english.text
    assert '<label for="email">Your email address</label>' in english.text
    assert "Electric kettle K2" in english.text  # the organization's products offered
    assert "提交投诉" in chinese.text and 'lang="zh-CN"' in chinese.text
    assert "提交投诉" in switched.text
    # 7.1: where and how, each step's time limit from the deadline settings, the external
    # body, that it is free, and the privacy notice with the retention.
    assert "我们如何处理投诉" in handling.text
    assert "24 小时内判断问题是否属于我方" in handling.text
    assert "48 小时内采取措施" in handling.text
    assert "https://www.12315.cn/" in handling.text and "投诉是免费的" in handling.text
    assert 'id="privacy"' in handling.text and "1095" in handling.text
    assert 'href="/complain' in home.text and 'href="/how-we-handle-complaints' in home.text


def test_bad_input_comes_back_at_its_fields_in_chinese_and_stores_nothing(web: WebApp) -> None:
    before = _count(web.sessions, Complaint)
    bad = _form(name="", email="not-an-address", consent="", description="漏水")
    with web.client() as client:
        page = client.post("/complain?lang=zh-CN", data=bad, files=[("files", ("x.exe", b"MZ"))])
    assert page.status_code == 422
    assert 'aria-invalid="true"' in page.text and 'id="error-summary"' in page.text
    assert '<p class="error" id="name-error">此项不能为空</p>' in page.text
    assert (
        '<p class="error" id="email-error">请输入电子邮箱，例如 name@example.com</p>' in page.text
    )
    assert '<p class="error" id="consent-error">请同意隐私声明后再提交投诉</p>' in page.text
    assert 'aria-describedby="email-hint email-error"' in page.text
    assert ">漏水</textarea>" in page.text and 'value="not-an-address"' in page.text  # kept
    assert _count(web.sessions, Complaint) == before


def test_a_refused_file_stores_neither_the_complaint_nor_any_file(web: WebApp) -> None:
    before = (_count(web.sessions, Complaint), _count(web.sessions, Attachment))
    files = [("files", ("photo.png", PNG)), ("files", ("virus.png", b"MZ\x90\x00not a png"))]
    with web.client() as client:
        page = client.post("/complain", data=_form(), files=files)
    assert page.status_code == 422 and 'id="files-error"' in page.text
    assert (_count(web.sessions, Complaint), _count(web.sessions, Attachment)) == before
    assert not list((web.settings.upload_dir).glob("**/*.*"))


def test_a_valid_complaint_with_a_photo_is_recorded_and_confirmed(web: WebApp) -> None:
    form = _form(occurred_on=(utcnow() - timedelta(days=2)).date().isoformat())
    with web.client() as client:
        page = client.post("/complain?lang=en", data=form, files=[("files", ("p.png", PNG))])
    assert page.status_code == 201
    with web.sessions() as session:
        complaint = session.scalars(
            select(Complaint).where(Complaint.complainant_email == form["email"])
        ).one()
        attachments = session.scalars(
            select(Attachment).where(Attachment.complaint_id == complaint.id)
        ).all()
    assert complaint.channel is Channel.WEB and complaint.occurred_at is not None
    assert [a.content_type for a in attachments] == ["image/png"]
    assert f"Your reference is {complaint.reference}." in page.text
    assert "/status/" in page.text and "within 48 hours" in page.text


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_is_kept(web: WebApp) -> None:
    before = _count(web.sessions, Complaint)
    with web.client() as client:
        page = client.post("/complain", data=_form(website="http://spam.example"))
    assert page.status_code == 200 and "Your reference" not in page.text
    assert _count(web.sessions, Complaint) == before


def test_one_client_posting_too_often_waits(make_web: object) -> None:
    web: WebApp = make_web(form_posts_per_client_per_hour=2)  # type: ignore[operator]
    with web.client() as client:
        codes = [client.post("/complain", data=_form()).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_a_body_larger_than_the_files_allowed_is_refused_before_reading(web: WebApp) -> None:
    with web.client() as client:
        response = client.post(
            "/complain",
            content=b"x" * 10,
            headers={"Content-Length": str(10**9), "Content-Type": "multipart/form-data"},
        )
    assert response.status_code == 413


def test_an_address_gets_a_bounded_number_of_acknowledgements(
    web: WebApp, sessions: sessionmaker[Session]
) -> None:
    org = load_organization(web.settings.organization_file)
    address = f"target.{uuid.uuid4().hex[:8]}@example.com"
    limit = web.settings.acknowledgements_per_address_per_hour
    with web.client() as client:
        for _ in range(limit + 2):
            assert client.post("/complain", data=_form(email=address)).status_code == 201
    with sessions.begin() as session:
        complaints = session.scalars(
            select(Complaint)
            .where(Complaint.complainant_email == address)
            .order_by(Complaint.reference)
        ).all()
        sent = [acknowledge(session, c, org, web.settings) for c in complaints]
        again = [acknowledge(session, c, org, web.settings) for c in complaints]  # a replay
        withheld = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.complaint_id.in_([c.id for c in complaints]),
                Event.kind == EventKind.ACKNOWLEDGEMENT_WITHHELD.value,
            )
        )
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.recipient == address,
                OutboxMessage.kind == EmailKind.ACKNOWLEDGEMENT.value,
            )
        )
    assert [m is not None for m in sent] == [True] * limit + [False, False]
    assert [m is not None for m in again] == [m is not None for m in sent]
    assert (queued, withheld) == (limit, 2)  # every complaint recorded, each decided once
