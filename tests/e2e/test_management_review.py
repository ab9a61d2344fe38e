"""The management review on the real stack (ISO 10002 8.6, ISO 9001 9.3): a quality lead
schedules it in the reviews area, a run fires from the schedule and mails every
participant the pack (PDF) and a calendar invitation, then waits, suspended, for the
minutes; the chair submits them through the emailed link, the web app resumes the run,
and the two decided actions reach their two owners. One owner reports done with
evidence, the other's goes overdue and escalates; the next review's pack lists both
with their outcome, in English and Chinese."""

from __future__ import annotations

import io
import os
import re
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.enums import StepStatus
from complaints.models import ManagementReview, Review, ReviewTask, TaskKind, utcnow
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from devtools.mailbox import StoredMessage
from tests.e2e.test_faults import _crash_and_see_it_started_again
from tests.e2e.test_privacy import _signed_in
from tests.e2e.test_review import LEAD, MANAGER, _file
from tests.support.browser import chromium
from tests.support.calendar import invitation_of
from tests.support.stack import PrefectServer, Stack, eventually, run_deadline_watch

pytestmark = pytest.mark.e2e
# Where the screenshot goes: the stack's folder, or docs/screenshots when
# COMPLAINTS_SCREENSHOTS=1 (to refresh the README's).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
OWNERS = {"li-wei": "li.wei@acme.example", "anna-berg": "anna.berg@acme.example"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
_LINK = re.compile(r"https?://\S+?(/r/[A-Za-z0-9_-]+)")


def _mail(stack: Stack, address: str, subject: str, *, since: int = 0) -> list[StoredMessage]:
    found = [m for m in stack.mailbox.store.messages() if address in m.to and subject in m.subject]
    return found[since:]


def _link(message: StoredMessage) -> str:
    found = _LINK.search(message.part("plain"))
    assert found, message.part("plain")
    return found.group(1)


def _guard(page: httpx.Response) -> str:
    found = re.search(r'name="guard" value="([^"]+)"', page.text)
    assert page.status_code == 200 and found, page.text[:500]
    return found.group(1)


def _pdf(message: StoredMessage) -> str:
    data = _file(message, "application/pdf")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\x00", "")


def review_id(sessions: sessionmaker[Session], run: dict[str, Any]) -> str:
    with sessions() as session:
        review = session.scalars(select(Review).where(Review.key == f"flow-run:{run['id']}")).one()
    return str(review.id)


def _ended(server: PrefectServer, run_id: str) -> dict[str, Any]:
    return eventually(
        lambda: (
            (state := server.flow_run(run_id)["state"])["type"]
            in ("COMPLETED", "FAILED", "CRASHED")
            and state
        ),
        seconds=180,
        what=f"run {run_id} to end",
    )


def test_a_scheduled_management_review_turns_its_minutes_into_tracked_actions(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    # Signed in as the privacy test does: the link's token and email are removed
    # afterwards, so a later test signs the lead in at once (one link a minute).
    client = httpx.Client(base_url=stack.base_url, timeout=20)
    guard = _signed_in(stack, stack_sessions, client)
    created = client.post(
        "/reviews/schedules",
        data={
            "guard": guard,
            "review": "management",
            "period": "quarter",
            "day": "2",
            "time": "09:00",
            "recipients": ["zhang-min", "tom-hughes"],
            "active": "yes",
        },
    )
    assert created.status_code == 303
    deployment = prefect_server.get("/deployments/name/management-review/management-review")
    [schedule] = [
        s
        for s in prefect_server.get(f"/deployments/{deployment['id']}/schedules")
        if s["parameters"] == {"recipients": ["zhang-min", "tom-hughes"]}
    ]
    assert schedule["active"] and schedule["schedule"]["cron"] == "0 9 2 1,4,7,10 *"

    # A run of the schedule, moved to now: the worker runs it.
    prefect_server.post(f"/deployments/{deployment['id']}/schedule", {})
    scheduled = eventually(
        lambda: prefect_server.post(
            "/flow_runs/filter",
            {
                "deployments": {"id": {"any_": [deployment["id"]]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            },
        ),
        what="a run of the management review schedule",
    )
    run = min(scheduled, key=lambda r: r["expected_start_time"])
    prefect_server.post(
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": None}}, "force": True},
    )
    # Each participant gets the pack and the invitation; the chair (the first quality
    # lead, by default) the link to the minutes as well.
    [chair_mail] = eventually(
        lambda: _mail(stack, LEAD, "评审输入与会议邀请"), seconds=180, what="the chair's pack"
    )
    [manager_mail] = eventually(
        lambda: _mail(stack, MANAGER, "inputs and invitation"), what="the pack in English"
    )
    assert "管理评审" in _pdf(chair_mail) and "Management review" in _pdf(manager_mail)
    raw, event = invitation_of(manager_mail)
    assert "METHOD:REQUEST" in raw and "MR-" in str(event.get("summary"))
    assert "/r/" not in manager_mail.part("plain")
    # Suspended, holding no process, saying what it waits for (ids and references only).
    waiting = eventually(
        lambda: (
            (state := prefect_server.flow_run(run["id"])["state"])["type"] == "PAUSED" and state
        ),
        what="the run to wait for the minutes",
    )
    assert waiting["state_details"]["pause_key"] == "review-minutes"
    assert "waits for the minutes" in waiting["message"]

    # The chair opens the link in a browser and submits the minutes (in Chinese, her
    # language): two actions for two owners.
    today = utcnow().astimezone(ORG.zone_of()).date()
    web = httpx.Client(base_url=stack.base_url, timeout=20)
    folder = SCREENSHOTS if os.environ.get("COMPLAINTS_SCREENSHOTS") else stack.workdir
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 1300})
        page.goto(f"{stack.base_url}{_link(chair_mail)}")
        page.fill("#summary", "两次围堵超时；温控器供应商问题重复出现。")
        rows = [
            ("resources", "Train the night shift on containment", "li-wei", 10),
            ("product", "Qualify a second thermostat supplier", "anna-berg", 20),
        ]
        for row, (area, description, owner, days) in enumerate(rows, 1):
            page.select_option(f"#area_{row}", area)
            page.fill(f"#description_{row}", description)
            page.select_option(f"#owner_{row}", owner)
            page.fill(f"#due_on_{row}", str(today + timedelta(days=days)))
        page.fill("#next_review_on", str(today + timedelta(days=90)))
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=folder / "management-minutes-zh.png")
        page.get_by_role("button", name="记录会议纪要").click()
        page.get_by_text("会议纪要已记录").wait_for(timeout=30_000)
    assert _ended(prefect_server, run["id"])["type"] == "COMPLETED"

    # The next review is scheduled in Prefect to meet on the day the minutes set: its run
    # a week before, at 09:00 in the organization's zone, with the same people.
    next_day = today + timedelta(days=90)
    starts = datetime.combine(next_day - timedelta(days=7), time(9, 0), tzinfo=ORG.zone_of())
    following_runs = [
        r
        for r in prefect_server.post(
            "/flow_runs/filter",
            {
                "deployments": {"id": {"any_": [deployment["id"]]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            },
        )
        if r["idempotency_key"] == f"management-review-after-{review_id(stack_sessions, run)}"
    ]
    assert len(following_runs) == 1
    assert following_runs[0]["parameters"] == {
        "recipients": ["zhang-min", "tom-hughes"],
        "chair": "zhang-min",
        "meeting_in_days": 7,
    }
    assert datetime.fromisoformat(following_runs[0]["expected_start_time"]) == starts

    requests = {
        key: eventually(
            lambda address=address: _mail(stack, address, "MR-"), what=f"{key}'s action"
        )
        for key, address in OWNERS.items()
    }
    assert [len(found) for found in requests.values()] == [1, 1]
    [record] = eventually(lambda: _mail(stack, MANAGER, "Record of management review"))
    record_text = _pdf(record)
    assert "Qualify a second thermostat supplier" in record_text and "Anna Berg" in record_text

    # Li Wei reports his action done, with evidence; Anna Berg never does.
    li_link = _link(requests["li-wei"][0])
    done = web.post(
        li_link,
        data={"guard": _guard(web.get(li_link)), "note": "14 people trained"},
        files=[("files", ("attendance.png", PNG))],
    )
    assert done.status_code == 200 and "已记录为完成" in done.text
    with stack_sessions() as session:
        review = session.scalars(select(Review).where(Review.key == f"flow-run:{run['id']}")).one()
        management = session.get_one(ManagementReview, review.id)
        actions = {t.assignee: t for t in management.tasks if t.kind is TaskKind.ACTION}
        anna_due = actions["anna-berg"].due_at
    assert management.flow_run_id is not None and str(management.flow_run_id) == run["id"]

    # The deadline watch, its clock moved past Anna's due time: the ladder's first rung
    # (the quality lead) is told, once, with a link of their own.
    late = anna_due + timedelta(hours=1)
    escalations_before = len(_mail(stack, LEAD, "有一项任务等待您处理"))
    for _ in range(2):
        assert _ended(prefect_server, run_deadline_watch(prefect_server, late))["type"] == (
            "COMPLETED"
        )
    escalations = eventually(
        lambda: _mail(stack, LEAD, "有一项任务等待您处理", since=escalations_before),
        what="the escalation",
    )
    assert len(escalations) == 1
    assert "Anna Berg" in escalations[0].part("plain") and "/r/" in escalations[0].part("plain")
    with stack_sessions() as session:
        anna = session.get_one(ReviewTask, actions["anna-berg"].id)
        assert "escalation-1" in anna.notices

    # The next review, on the same moved clock: its pack lists both actions with their
    # outcome, in each reader's language.
    deployment_runs = f"/deployments/{deployment['id']}/create_flow_run"
    parameters = {"recipients": ["tom-hughes", "zhang-min"], "chair": "tom-hughes"}
    en_before = len(_mail(stack, MANAGER, "inputs and invitation"))
    zh_before = len(_mail(stack, LEAD, "评审输入与会议邀请"))
    following = prefect_server.post(
        deployment_runs, {"parameters": {**parameters, "as_of": late.isoformat()}}
    )
    [next_en] = eventually(
        lambda: _mail(stack, MANAGER, "inputs and invitation", since=en_before),
        seconds=180,
        what="the next pack",
    )
    [next_zh] = eventually(lambda: _mail(stack, LEAD, "评审输入与会议邀请", since=zh_before))
    english, chinese = _pdf(next_en), _pdf(next_zh)
    assert "Train the night shift on containment" in english and "Done on time" in english
    assert "Qualify a second thermostat supplier" in english and "Overdue" in english
    assert "14 people trained" in english
    assert "按时完成" in chinese and "已逾期" in chinese
    assert "/r/" in next_en.part("plain")  # Tom chairs this one
    with stack_sessions() as session:
        kept = session.scalars(
            select(Review).where(Review.key == f"flow-run:{following['id']}")
        ).one()
        outcomes = {a["owner"]: a["outcome"] for a in kept.figures["earlier_actions"]}
    assert outcomes == {"li-wei": "done_on_time", "anna-berg": "overdue"}

    # Both reviews are in the area, the first with its actions' outcome as of now.
    page = client.get("/reviews").text
    assert review.period_label in page and "Qualify a second thermostat supplier" in page
    prefect_server.delete(f"/deployments/{deployment['id']}/schedules/{schedule['id']}")
    prefect_server.delete(f"/flow_runs/{following_runs[0]['id']}")
    prefect_server.post(
        f"/flow_runs/{following['id']}/set_state", {"state": {"type": "CANCELLED"}, "force": True}
    )
    web.close()
    client.close()


def test_a_crashed_management_review_run_is_started_again_and_waits_for_its_minutes(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    """A review run lost with its worker (Crashed) is started again by the web app, as a
    complaint's is: it waits for its minutes again and sends nobody its pack twice."""
    deployment = prefect_server.get("/deployments/name/management-review/management-review")
    packs_before = len(_mail(stack, MANAGER, "inputs and invitation"))
    run = prefect_server.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"recipients": ["tom-hughes"], "chair": "tom-hughes"}},
    )
    prefect_server.wait_suspended_at(run["id"], "review-minutes", seconds=180)
    eventually(
        lambda: len(_mail(stack, MANAGER, "inputs and invitation")) == packs_before + 1,
        what="the pack",
    )

    _crash_and_see_it_started_again(prefect_server, run["id"])
    prefect_server.wait_suspended_at(run["id"], "review-minutes", seconds=180)
    assert len(_mail(stack, MANAGER, "inputs and invitation")) == packs_before + 1

    # Called off, so that no later test's deadline watch reminds anyone of its minutes.
    prefect_server.post(
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "CANCELLED", "name": "Cancelled"}, "force": True},
    )
    with stack_sessions.begin() as session:
        review = session.scalars(
            select(ManagementReview).where(ManagementReview.flow_run_id == uuid.UUID(run["id"]))
        ).one()
        for task in review.tasks:
            task.status = StepStatus.CANCELLED
