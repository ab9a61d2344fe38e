"""The Prefect UI as the operators' console: a complaint walked through assessment and
containment to an overdue step, seen through Prefect's API as an operator sees it (tags,
the suspended state's message, artifacts, events in order, the overview), and the
shipped automations alerting the operators by email, once."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Step
from complaints.ops.alerts import AUTOMATIONS
from complaints.tokens import automation_token
from devtools.launcher import apply_automations
from tests.support.browser import chromium
from tests.support.forms import ours
from tests.support.links import form_guard, step_link
from tests.support.people import complaint_payload
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.stack import PrefectServer, Stack, eventually, run_deadline_watch

HANDLER = "li.wei@acme.example"
OPERATOR = "tom.hughes@acme.example"  # [operators] of the sample organization
TOKEN = "X-Complaints-Automation"


@pytest.fixture
def automations(stack: Stack, prefect_server: PrefectServer) -> Iterator[list[dict[str, Any]]]:
    """The shipped automations, applied (twice: idempotent) for this stack; removed after,
    so no other test's events call this stack's web app."""
    apply_automations(stack._env)
    apply_automations(stack._env)
    names = [a.name for a in AUTOMATIONS]
    found = [a for a in prefect_server.post("/automations/filter", {}) if a["name"] in names]
    try:
        yield found
    finally:
        for automation in found:
            prefect_server.delete(f"/automations/{automation['id']}")


def _tags(server: PrefectServer, run_id: str) -> set[str]:
    return set(server.flow_run(run_id)["tags"])


def _events(server: PrefectServer, complaint_id: str) -> list[dict[str, Any]]:
    query = {"filter": {"any_resource": {"id": [f"complaint.{complaint_id}"]}}, "limit": 50}
    return list(server.post("/events/filter", query)["events"])


def _names_in_order(events: list[dict[str, Any]]) -> list[str]:
    # Events of one transaction share their time: the trail's sequence orders them.
    ordered = sorted(events, key=lambda e: (e["occurred"], e["payload"].get("seq", 0)))
    return [e["event"] for e in ordered]


def _watch(server: PrefectServer, as_of: datetime) -> None:
    run_id = run_deadline_watch(server, as_of)
    eventually(
        lambda: server.flow_run(run_id)["state"]["type"] == "COMPLETED",
        seconds=180,
        what="the deadline watch",
    )


def _alerts(stack: Stack, reference: str) -> list[Any]:
    """The operators' alerts about one complaint (the stack's other complaints, filed by
    earlier tests, may be at risk at the same moved clock and have alerts of their own)."""
    return [
        m
        for m in stack.mailbox.store.messages()
        if OPERATOR in m.to and m.subject == f"Operator alert: {reference}"
    ]


def test_an_operator_follows_a_complaint_in_prefect_and_is_alerted_once(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    automations: list[dict[str, Any]],
) -> None:
    # Applied twice, one of each: re-applying updates, never duplicates.
    assert sorted(a["name"] for a in automations) == sorted(a.name for a in AUTOMATIONS)
    assert all(a["enabled"] for a in automations)

    # Received: the run waits at the assessment, and says so.
    payload = complaint_payload()
    case = stack.file_complaint(payload)
    reference = case["reference"]
    run_id = eventually(lambda: stack.complaint(case["id"])["flow_run_id"], what="the run")
    state = prefect_server.wait_suspended_at(run_id, "assessment-1")
    assert state["message"].startswith(f"{reference} waits at assessment-1: decision of ")
    assert "(Asia/Shanghai)" in state["message"]
    tags = _tags(prefect_server, run_id)
    assert {"stage:assessment", "department:kitchen"} <= tags
    assert not tags & {"overdue", "systemic"} and not any(t.startswith("grade:") for t in tags)

    # Assessed as ours: containment, graded, and the message moves on.
    link = step_link(eventually(lambda: stack.mail_to(HANDLER, reference), what="request")[0])
    assert httpx.post(link, data=ours(form_guard(httpx.get(link).text)), timeout=10).is_success
    state = prefect_server.wait_suspended_at(run_id, "containment-1")
    assert state["message"].startswith(f"{reference} waits at containment-1: decision of Li Wei")
    tags = _tags(prefect_server, run_id)
    assert {"stage:containment", "grade:complaint", "department:kitchen"} <= tags
    assert "stage:assessment" not in tags

    # The complaint's artifacts: a version per step, the progress, no actions yet.
    key = f"complaint-{reference.lower()}"
    versions = prefect_server.post(
        "/artifacts/filter",
        {"artifacts": {"key": {"any_": [key]}, "flow_run_id": {"any_": [run_id]}}},
    )
    assert len(versions) == 2
    assert any("| containment-1 | li-wei |" in v["data"] for v in versions)
    progress = prefect_server.post(
        "/artifacts/filter",
        {"artifacts": {"key": {"any_": [f"{key}-progress"]}, "flow_run_id": {"any_": [run_id]}}},
    )
    assert sorted(float(p["data"]) for p in progress) == [14.3, 28.6]  # 1 and 2 of 7 stages
    assert not prefect_server.post(
        "/artifacts/filter", {"artifacts": {"key": {"any_": [f"{key}-actions"]}}}
    )

    # The containment nears its 48 hours, then is missed: reminded, then overdue.
    with stack_sessions() as session:
        due = session.scalars(
            select(Step.due_at).where(
                Step.complaint_id == uuid.UUID(case["id"]), Step.key == "containment-1"
            )
        ).one()
    assert due is not None
    _watch(prefect_server, due - timedelta(minutes=30))
    alert = eventually(lambda: _alerts(stack, reference), what="the operators' alert")
    assert alert[0].subject == f"Operator alert: {reference}"
    assert "A 48-hour containment is about to be missed" in alert[0].part("plain")
    assert f"/runs/flow-run/{run_id}" in alert[0].part("plain")
    _watch(prefect_server, due + timedelta(hours=1))
    eventually(lambda: "overdue" in _tags(prefect_server, run_id), what="the overdue tag")

    # Prefect calling the webhook again (a retry) mails nothing twice.
    call = {
        "automation": AUTOMATIONS[2].name,
        "event": "complaint.containment.at-risk",
        "resource_id": f"complaint.{case['id']}",
        "label": reference,
        "occurred": (due - timedelta(minutes=30)).isoformat(),
        "flow_run_id": run_id,
    }
    token = automation_token(stack._env["COMPLAINTS_SECRET_KEY"])
    webhook = f"{stack.base_url}/api/operators/alerts"
    again = httpx.post(webhook, json=call, headers={TOKEN: token}, timeout=10)
    assert again.status_code == 202 and again.json() == {"queued": 0}
    # Only the automations' webhook may call it.
    assert httpx.post(webhook, json=call, headers={TOKEN: "0" * 64}).status_code == 403

    # The complaint's history as events, in order, about it and its run.
    wanted = [
        "complaint.received",
        "complaint.step.opened",
        "complaint.step.decided",
        "complaint.stage.changed",
        "complaint.step.reminded",
        "complaint.containment.at-risk",
        "complaint.step.overdue",
    ]

    def all_arrived() -> list[dict[str, Any]] | None:
        found = _events(prefect_server, case["id"])
        return found if set(wanted) <= {e["event"] for e in found} else None

    events = eventually(all_arrived, what="the complaint's events")
    names = _names_in_order(events)
    remaining = iter(names)
    assert all(name in remaining for name in wanted), names  # in this order
    for event in events:
        assert event["resource"]["prefect.resource.name"] == reference
        assert f"prefect.flow-run.{run_id}" in {r["prefect.resource.id"] for r in event["related"]}

    # The overview: this complaint's missed containment, by reference and owner.
    overview = prefect_server.post(
        "/artifacts/latest/filter", {"artifacts": {"key": {"any_": ["complaints-overview"]}}}
    )
    data = overview[0]["data"]
    assert f"| {reference} | li-wei |" in data and "**missed**" in data
    # Its counts: this complaint among those open at the containment, and among the
    # kitchen's overdue steps (the stack's other complaints may add to both).
    by_stage = dict(re.findall(r"^\| (\w+) \| (\d+) \|$", data.split("## Overdue")[0], re.M))
    assert int(by_stage["containment"]) >= 1
    overdue = re.findall(r"^\| kitchen \| li-wei \| (\d+) \|$", data, re.M)
    assert overdue and int(overdue[0]) >= 1

    # One alert email, however many watches and webhook calls.
    eventually(lambda: stack.health()["mail_pending"] == 0, what="mail delivered")
    alerts = _alerts(stack, reference)
    assert len(alerts) == 1, [(m.subject, m.part("plain")[:300]) for m in alerts]

    # What the operator sees in the Prefect UI: the run page and the Event Feed.
    _look_in_the_prefect_ui(prefect_server, run_id, reference, case["id"])

    # Nothing of the complainant reached Prefect.
    held = everything_prefect_holds(prefect_server, run_id, "Suspending flow run at containment-1")
    held += repr(events) + repr(versions) + repr(overview)
    for personal in (payload["complainant"]["name"], payload["complainant"]["email"]):
        assert personal not in held


# Where the screenshots go: a temporary folder, or docs/screenshots when
# COMPLAINTS_SCREENSHOTS=1 (to refresh the README's).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _look_in_the_prefect_ui(
    server: PrefectServer, run_id: str, reference: str, complaint_id: str
) -> None:
    """Open the run page (its tags, its artifacts) and the complaint's Event Feed in a
    real browser; save screenshots."""
    folder = SCREENSHOTS if os.environ.get("COMPLAINTS_SCREENSHOTS") else server.home
    ui = server.api_url.removesuffix("/api")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{ui}/runs/flow-run/{run_id}")
        page.get_by_text("stage:containment").first.wait_for(timeout=60_000)
        page.get_by_text("overdue", exact=True).first.wait_for(timeout=60_000)
        page.screenshot(path=folder / "prefect-run-page.png")
        page.get_by_text("Artifacts", exact=True).first.click()
        page.get_by_text(f"complaint-{reference.lower()}").first.wait_for(timeout=60_000)
        page.screenshot(path=folder / "prefect-run-artifacts.png", full_page=True)
        page.goto(f"{ui}/events?resource=complaint.{complaint_id}")
        page.get_by_text("complaint.step.overdue").first.wait_for(timeout=60_000)
        page.get_by_text("complaint.received").first.wait_for(timeout=60_000)
        page.screenshot(path=folder / "prefect-event-feed.png")
