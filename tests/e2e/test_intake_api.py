"""The intake API over real HTTP: validation, Unicode, limits, and Prefect being down."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Complaint
from tests.support.people import complaint_payload
from tests.support.processes import free_port
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e


def _count(stack_sessions: sessionmaker[Session]) -> int:
    with stack_sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Complaint)) or 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["complainant"].update(email="not-an-email"), "email"),
        (lambda p: p["complainant"].update(locale="fr"), "locale"),
        (lambda p: p["complainant"].update(name="A\r\nBcc: x@evil.test"), "name"),
        (lambda p: p["complainant"].update(phone="call me"), "phone"),
        (lambda p: p.update(description=""), "description"),
        (lambda p: p.update(product="x" * 201), "product"),
        (lambda p: p.update(channel="pigeon"), "channel"),
        (lambda p: p.update(occurred_at="2099-01-01T00:00:00+00:00"), "occurred_at"),
        (lambda p: p.update(occurred_at="2026-01-01T00:00:00"), "occurred_at"),
        (lambda p: p.update(requested_remedy="bad\x00byte"), "requested_remedy"),
        (lambda p: p.update(surprise="field"), "surprise"),
        (lambda p: p.pop("complainant"), "complainant"),
    ],
)
def test_invalid_intake_is_refused_field_by_field_and_stores_nothing(
    stack: Stack, stack_sessions: sessionmaker[Session], change: object, field: str
) -> None:
    payload = complaint_payload()
    change(payload)  # type: ignore[operator]
    before = _count(stack_sessions)
    response = httpx.post(f"{stack.base_url}/api/complaints", json=payload, timeout=10)
    assert response.status_code == 422
    fields = [error["loc"][-1] for error in response.json()["detail"]]
    assert field in fields, response.json()
    assert _count(stack_sessions) == before


def test_malformed_and_oversized_bodies_are_refused(stack: Stack) -> None:
    url = f"{stack.base_url}/api/complaints"
    broken = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    huge = complaint_payload()
    huge["description"] = "x" * 300_000
    assert httpx.post(url, json=huge, timeout=10).status_code == 413
    assert httpx.get(f"{stack.base_url}/api/complaints/{uuid.uuid4()}").status_code == 404
    assert httpx.get(f"{stack.base_url}/api/complaints/not-a-uuid").status_code == 422


def test_unicode_complaint_round_trips_and_schema_is_documented(
    stack: Stack, stack_sessions: sessionmaker[Session]
) -> None:
    payload = complaint_payload(product="电饭煲 RC-5 🍚")
    created = stack.file_complaint(payload)
    with stack_sessions() as session:
        stored = session.get_one(Complaint, uuid.UUID(created["id"]))
        assert stored.product == "电饭煲 RC-5 🍚"
        assert stored.complainant_name == payload["complainant"]["name"]
        assert stored.department == "kitchen"
    progress = stack.complaint(created["id"])
    assert progress["reference"] == created["reference"]
    assert payload["complainant"]["email"] not in str(progress)  # no personal data
    schema = httpx.get(f"{stack.base_url}/openapi.json").json()
    assert "ComplaintIn" in schema["components"]["schemas"]
    assert httpx.get(f"{stack.base_url}/docs").status_code == 200


def test_intake_works_while_prefect_is_down_and_the_run_starts_later(
    stack: Stack, prefect_server: PrefectServer
) -> None:
    # The web app points at a Prefect API that does not answer.
    stack.restart_web(PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api")
    try:
        started = time.monotonic()
        created = stack.file_complaint(complaint_payload())
        assert time.monotonic() - started < 3
        time.sleep(3)  # several reconcile rounds, all failing
        progress = stack.complaint(created["id"])
        assert progress["run_status"] == "pending" and progress["flow_run_id"] is None
    finally:
        stack.restart_web()
    run_id = eventually(lambda: stack.complaint(created["id"])["flow_run_id"], what="run")
    eventually(
        lambda: prefect_server.flow_run(run_id)["state"]["name"] == "Suspended",
        seconds=90,
        what="run suspended at the assessment",
    )
