"""Integrations file complaints with a key of their own (ISO 10002 7.2: every channel
recorded): once a key is in force the API refuses a complaint without a valid one, and the
integration's name is recorded with each complaint it files; the public form needs none."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import EventKind
from complaints.intake import api_keys
from complaints.models import ApiKey, Event
from tests.support.people import complaint_payload
from tests.web.conftest import WebApp


def test_keys_once_in_force_are_required_named_and_revocable(
    make_web: Callable[..., WebApp], sessions: sessionmaker[Session]
) -> None:
    secret = "web-test-" + uuid.uuid4().hex
    name = f"shop-{uuid.uuid4().hex[:6]}"
    with sessions.begin() as session:  # keys left by another test of this database
        for row in session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None))):
            api_keys.revoke(session, row.name)
    with make_web(secret_key=secret).client() as client:
        assert client.post("/api/complaints", json=complaint_payload()).status_code == 201
    with sessions.begin() as session:
        key = api_keys.issue(session, name, secret)
        stored = session.scalars(select(ApiKey.key_hash).where(ApiKey.name == name)).one()
    assert key not in stored  # only a keyed hash is kept

    with make_web(secret_key=secret).client() as client:
        without = client.post("/api/complaints", json=complaint_payload())
        wrong = client.post(
            "/api/complaints", json=complaint_payload(), headers={"X-API-Key": "x" * 43}
        )
        bearer = client.post(
            "/api/complaints",
            json=complaint_payload(),
            headers={"Authorization": f"Bearer {key}"},
        )
        form = client.get("/complain")
    assert (without.status_code, wrong.status_code, bearer.status_code) == (401, 401, 201)
    assert form.status_code == 200
    with sessions() as session:
        actor = session.scalars(
            select(Event.actor).where(
                Event.complaint_id == uuid.UUID(bearer.json()["id"]),
                Event.kind == EventKind.COMPLAINT_RECEIVED.value,
            )
        ).one()
    assert actor == f"integration:{name}"

    with sessions.begin() as session:
        assert api_keys.revoke(session, name)
    with make_web(secret_key=secret).client() as client:
        revoked = client.post(
            "/api/complaints", json=complaint_payload(), headers={"X-API-Key": key}
        )
        open_again = client.post("/api/complaints", json=complaint_payload())
    assert (revoked.status_code, open_again.status_code) == (401, 201)
