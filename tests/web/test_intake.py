"""Intake through the web app: complaints arriving together are recorded together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import Complaint
from tests.support.people import complaint_payload
from tests.web.conftest import BASE_URL, WebApp


def test_a_burst_of_complaints_is_recorded_each_once_with_its_own_reference(
    make_web: Callable[..., WebApp],
) -> None:
    web = make_web()
    with web.sessions() as session:
        before = session.scalar(select(func.count()).select_from(Complaint))

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=web.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await asyncio.gather(
                *(client.post("/api/complaints", json=complaint_payload()) for _ in range(60))
            )

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [201] * 60
    references = {r.json()["reference"] for r in responses}
    assert len(references) == 60
    with web.sessions() as session:
        stored = session.scalars(
            select(Complaint.reference).where(Complaint.reference.in_(references))
        ).all()
        after = session.scalar(select(func.count()).select_from(Complaint))
    assert sorted(stored) == sorted(references)
    assert after - before == 60


def test_health_reports_the_counts_an_operator_watches(web: WebApp) -> None:
    with web.client() as client:
        body = client.get("/api/health").json()
        client.post("/api/complaints", json=complaint_payload())
        again = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert set(body) == {
        "status",
        "runs_pending",
        "mail_pending",
        "mail_failed",
        "decisions_not_applied",
    }
    assert again["runs_pending"] == body["runs_pending"] + 1


def test_a_complaint_that_cannot_be_recorded_fails_alone(
    make_web: Callable[..., WebApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch the database refuses is recorded again one by one: only the request whose
    complaint fails sees the error (here a fault injected for one product)."""
    web = make_web()
    real = service.file_complaints

    def refuse_poison(session: Session, items: list[ComplaintIn], *args: Any, **kw: Any) -> Any:
        if any(item.product == "poison" for item in items):
            raise IntegrityError("INSERT", {}, Exception("refused"))
        return real(session, items, *args, **kw)

    monkeypatch.setattr(service, "file_complaints", refuse_poison)
    payloads = [complaint_payload() for _ in range(20)]
    payloads[7]["product"] = "poison"

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=web.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            return await asyncio.gather(*(client.post("/api/complaints", json=p) for p in payloads))

    codes = [r.status_code for r in asyncio.run(burst())]
    assert codes == [201] * 7 + [500] + [201] * 12
    with web.sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(Complaint.complainant_email.in_([p["complainant"]["email"] for p in payloads]))
        )
    assert stored == 19
