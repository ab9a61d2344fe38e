"""The front desk (ISO 10002 7.2): staff named in the organization file sign in by an
emailed link and record a complaint received by phone, by letter or in person; the channel
and who took it are recorded; nobody else gets in, and the front desk sees nothing else."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import delete, select

from complaints.enums import Channel, EventKind
from complaints.models import Complaint, Event, OutboxMessage, SignInToken
from tests.web.conftest import WebApp

DESK = "maria.lopez@acme.example"  # the sample organization's [front_desk]
_LINK = re.compile(r"https?://\S+/reviews/sign-in/[A-Za-z0-9_-]+")
_GUARD = re.compile(r'name="guard" value="([0-9a-f]+)"')


def _sign_in(web: WebApp, client: httpx.Client) -> str:
    """Sign the front desk in through the emailed link; return the form's guard."""
    with web.sessions.begin() as session:
        session.execute(delete(SignInToken))
    assert client.post("/reviews/sign-in", data={"email": DESK}).status_code == 200
    with web.sessions() as session:
        body = session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.kind == "sign_in", OutboxMessage.recipient == DESK)
            .order_by(OutboxMessage.created_at.desc())
        ).first()
    assert body is not None
    link = _LINK.findall(body)[0].removeprefix(web.settings.public_url)
    assert client.post(link).status_code == 303
    landing = client.get("/reviews")
    assert landing.status_code == 303 and landing.headers["location"] == "/reviews/front-desk"
    page = client.get("/reviews/front-desk?lang=en")
    assert page.status_code == 200 and "Front desk" in page.text
    found = _GUARD.search(page.text)
    assert found
    return found.group(1)


def _form(guard: str, **changes: str) -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    form = {
        "guard": guard,
        "channel": "phone",
        "name": f"Li {tag}",
        "email": f"li.{tag}@example.com",
        "product": "Rice cooker R5",
        "description": "The lid does not close.",
        "requested_remedy": "Repair",
        "consent": "yes",
    }
    form.update(changes)
    return form


def test_the_front_desk_records_a_phone_complaint_in_its_own_name(web: WebApp) -> None:
    with web.client() as client:
        assert client.get("/reviews/front-desk").status_code == 401  # not signed in
        guard = _sign_in(web, client)
        missing = client.post("/reviews/front-desk", data=_form(guard, channel=""))
        forged = client.post("/reviews/front-desk", data=_form("0" * 64))
        taken = client.post("/reviews/front-desk?lang=en", data=(form := _form(guard)))
        # The front desk records complaints; the reviews area stays the leads'.
        lead_only = client.post("/reviews/classify", data={"guard": guard})
    assert missing.status_code == 422 and 'id="channel-error"' in missing.text
    assert forged.status_code == 403
    assert taken.status_code == 201 and "Record another complaint" in taken.text
    assert lead_only.status_code == 401
    with web.sessions() as session:
        complaint = session.scalars(
            select(Complaint).where(Complaint.complainant_email == form["email"])
        ).one()
        taker = session.scalars(
            select(Event.actor).where(
                Event.complaint_id == complaint.id,
                Event.kind == EventKind.COMPLAINT_RECEIVED.value,
            )
        ).one()
    assert complaint.channel is Channel.PHONE and taker == "maria-lopez"
    assert f"Your reference is {complaint.reference}." in taken.text
