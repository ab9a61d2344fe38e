"""Fault tests: real servers, broken on purpose. Each prints its figure."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Complaint, Event, LinkToken, OutboxMessage, Step
from tests.support.links import form_guard, step_link
from tests.support.people import complaint_payload
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e
HANDLER = "li.wei@acme.example"
URL = re.compile(r"https?://[^\s\"'<>]+")


def _state(sessions: sessionmaker[Session]) -> tuple[Any, ...]:
    """Everything a click could change, as comparable values."""
    with sessions() as session:
        complaints = session.execute(
            select(Complaint.id, Complaint.stage, Complaint.grade, Complaint.closed_at)
        ).all()
        steps = session.execute(select(Step.id, Step.status, Step.decided_at)).all()
        tokens = session.execute(select(LinkToken.id, LinkToken.revoked_at)).all()
        events = session.scalar(select(func.count()).select_from(Event))
        mail = session.scalar(select(func.count()).select_from(OutboxMessage))
    return (
        sorted(map(tuple, complaints)),
        sorted(map(tuple, steps)),
        sorted(map(tuple, tokens)),
        events,
        mail,
    )


def _file_many(stack: Stack, server: PrefectServer, count: int) -> list[dict[str, Any]]:
    cases = [stack.file_complaint(complaint_payload()) for _ in range(count)]
    for case in cases:
        case["run_id"] = eventually(
            lambda c=case: stack.complaint(c["id"])["flow_run_id"], seconds=120, what="run"
        )
    for case in cases:
        eventually(
            lambda c=case: (
                server.flow_run(c["run_id"])["state"]["state_details"].get("pause_key")
                == "assessment-1"
            ),
            seconds=300,
            what="suspended at the assessment",
        )
    return cases


def test_link_scanner_fetching_every_link_changes_nothing(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    _file_many(stack, prefect_server, 3)
    eventually(lambda: stack.health()["mail_pending"] == 0, what="mail delivered")
    before = _state(stack_sessions)
    links = {
        u
        for m in stack.mailbox.store.messages()
        for u in URL.findall(m.part("plain") + m.part("html"))
        if u.startswith(stack.base_url)
    }
    statuses = Counter(httpx.get(link, timeout=10).status_code for link in sorted(links))
    time.sleep(2)  # give any (wrong) background reaction time to show
    after = _state(stack_sessions)
    print(
        f"\nlink scanner: {len(links)} links fetched {dict(statuses)}, "
        f"{0 if before == after else 'SOME'} state changes"
    )
    assert len(links) >= 6
    assert before == after


def test_replayed_expired_tampered_and_cross_complaint_tokens_are_refused(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    cases = _file_many(stack, prefect_server, 3)
    links = {}
    for case in cases:
        mail = eventually(lambda c=case: stack.mail_to(HANDLER, c["reference"]), what="mail")
        links[case["id"]] = step_link(mail[0])
    first, second, third = (links[c["id"]] for c in cases)
    attempts: dict[str, int] = {}

    # Replayed: the first post decides, the same request again is refused.
    first_guard = form_guard(httpx.get(first, timeout=10).text)
    assert _decide_assessment_raw(first, first_guard) == 200
    attempts["replayed"] = _decide_assessment_raw(first, first_guard)
    guard = form_guard(httpx.get(second, timeout=10).text)

    # Cross-complaint: the second complaint's form guard on the third complaint's link.
    cross = httpx.post(
        third,
        data={"guard": guard, "ours": "yes", "valid": "yes", "grade": "complaint"},
        timeout=10,
    )
    attempts["cross-complaint"] = cross.status_code

    # Tampered: one character changed.
    tampered = third[:-1] + ("A" if third[-1] != "A" else "B")
    attempts["tampered"] = _decide_assessment_raw(tampered, form_guard(httpx.get(third).text))

    # Expired: the third link's time has run out.
    third_id = uuid.UUID(cases[2]["id"])
    with stack_sessions.begin() as session:
        step_ids = select(Step.id).where(Step.complaint_id == third_id)
        session.execute(
            update(LinkToken)
            .where(LinkToken.step_id.in_(step_ids))
            .values(expires_at=Complaint.received_at.expression)
        )  # type: ignore[attr-defined]
    attempts["expired-get"] = httpx.get(third, timeout=10).status_code
    attempts["expired-post"] = _decide_assessment_raw(third, guard)

    # Forged from another site.
    forged = httpx.post(
        second,
        data={"guard": guard, "ours": "yes", "valid": "yes", "grade": "complaint"},
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    attempts["cross-site"] = forged.status_code

    print(f"\ntokens: {attempts}; accepted: {sum(1 for code in attempts.values() if code < 400)}")
    assert attempts == {
        "replayed": 409,
        "cross-complaint": 404,
        "tampered": 404,
        "expired-get": 404,
        "expired-post": 404,
        "cross-site": 403,
    }
    with stack_sessions() as session:
        decided = session.scalars(
            select(Step).where(
                Step.complaint_id.in_([uuid.UUID(c["id"]) for c in cases]),
                Step.decided_at.is_not(None),
            )
        ).all()
    assert [s.complaint_id for s in decided] == [uuid.UUID(cases[0]["id"])]
    assert decided[0].decision is not None and decided[0].decision["ours"] is True


def _decide_assessment_raw(link: str, guard: str) -> int:
    return httpx.post(
        link, data={"guard": guard, "ours": "yes", "valid": "yes", "grade": "complaint"}, timeout=10
    ).status_code


def test_repeated_bad_links_from_one_client_are_rate_limited(stack: Stack) -> None:
    stack.restart_web(COMPLAINTS_LINK_FAILURE_LIMIT="5")
    try:
        codes = [
            httpx.get(f"{stack.base_url}/s/guess-{n}", timeout=10).status_code for n in range(8)
        ]
    finally:
        stack.restart_web()
    print(f"\nrate limit: {codes}")
    assert codes == [404] * 5 + [429] * 3
