"""The management review's pages in-process: the chair submits the minutes through the
emailed link (problems named at their field, in the reader's language), an owner
reports an action done with evidence, and a quality lead changes an action or convenes
a review in the reviews area, whose schedules may now run either review."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from complaints.enums import StepStatus
from complaints.management.convene import convene
from complaints.management.decide import minutes_task
from complaints.management.minutes import apply_minutes
from complaints.models import OutboxMessage, ReviewFile, ReviewTask, TaskKind
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from tests.support.stack import PrefectServer
from tests.web.conftest import WebApp
from tests.web.test_reviews import _signed_in, area  # noqa: F401 (the area fixture)

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
# The pages act on the request's clock (now): the review is convened now too, and its
# dates below are counted from it.
NOW = datetime.now(UTC)
DAY = NOW.astimezone(ORG.zone_of()).date()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
_LINK = re.compile(r"https?://\S+?(/r/[A-Za-z0-9_-]+)")


def _convened(web: WebApp, chair: str) -> uuid.UUID:
    with web.sessions.begin() as session:
        convened = convene(
            session,
            ORG,
            web.settings,
            key=f"test-{uuid.uuid4()}",
            flow_run_id=None,
            participants=["zhang-min", "tom-hughes"],
            chair=chair,
            meeting_in_days=3,
            now=NOW,
        )
    return convened.review_id


def _link(web: WebApp, review_id: uuid.UUID, part: str, recipient: str) -> str:
    with web.sessions() as session:
        body = session.scalars(
            select(OutboxMessage.body_text).where(
                OutboxMessage.dedup_key.like(f"review:{review_id}:{part}:%{recipient}")
            )
        ).one()
    found = _LINK.search(body)
    assert found, body
    return found.group(1)


def _guard(page: httpx.Response) -> str:
    found = re.search(r'name="guard" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


MINUTES = {
    "attended": ["tom-hughes", "zhang-min"],
    "summary": "Containment too slow",
    "area_1": "resources",
    "description_1": "Train the night shift",
    "owner_1": "li-wei",
    "due_on_1": str(DAY + timedelta(days=30)),
    "area_2": "process",
    "description_2": "Check incoming thermostats",
    "owner_2": "anna-berg",
    "due_on_2": str(DAY + timedelta(days=45)),
    "next_review_on": str(DAY + timedelta(days=90)),
}


def test_the_chair_submits_the_minutes_and_is_told_what_to_fix_first(web: WebApp) -> None:
    review_id = _convened(web, "tom-hughes")
    link = _link(web, review_id, "pack", "tom-hughes")
    with web.client() as client:
        page = client.get(link)
        assert page.status_code == 200 and f"Minutes of management review MR-{DAY}" in page.text
        assert "-pack-en.pdf" in page.text
        pack = re.search(r'href="(/r/[^"]+/files/[^"]+)"', page.text)
        assert pack and client.get(pack.group(1)).content.startswith(b"%PDF")
        guard = _guard(page)
        broken = {**MINUTES, "owner_2": "", "next_review_on": "", "guard": guard}
        refused = client.post(link, data=broken)
        assert refused.status_code == 422
        assert "Complete this decision" in refused.text
        assert "Give the date of the next management review." in refused.text
        assert 'value="Check incoming thermostats"' in refused.text or (
            "Check incoming thermostats</textarea>" in refused.text
        )
        with web.sessions() as session:
            assert minutes_task(session, review_id).status is StepStatus.OPEN  # nothing kept
        forged = client.post(link, data={**MINUTES, "guard": "0" * 64})
        assert forged.status_code == 404
        done = client.post(link, data={**MINUTES, "guard": guard})
        assert done.status_code == 200 and "The minutes are recorded" in done.text
        again = client.get(link)
        assert "The minutes were recorded by Tom Hughes" in again.text
    with web.sessions() as session:
        task = minutes_task(session, review_id)
        assert task.status is StepStatus.DECIDED and task.decided_by == "tom-hughes"
        assert [d["owner"] for d in (task.decision or {})["decisions"]] == ["li-wei", "anna-berg"]


def test_a_chinese_chair_reads_the_problems_in_chinese(web: WebApp) -> None:
    review_id = _convened(web, "zhang-min")
    link = _link(web, review_id, "pack", "zhang-min")
    with web.client() as client:
        page = client.get(link)
        assert "管理评审" in page.text and 'lang="zh-CN"' in page.text
        refused = client.post(
            link, data={"guard": _guard(page), "summary": "", "owner_1": "li-wei"}
        )
    assert refused.status_code == 422
    assert "请完整填写此项决定" in refused.text and "请填写下次管理评审的日期" in refused.text


def test_an_owner_reports_the_action_done_with_evidence(web: WebApp) -> None:
    review_id = _convened(web, "tom-hughes")
    with web.client() as client:
        link = _link(web, review_id, "pack", "tom-hughes")
        client.post(link, data={**MINUTES, "guard": _guard(client.get(link))})
    with web.sessions.begin() as session:
        apply_minutes(session, ORG, web.settings, review_id, now=NOW)
    action_link = _link(web, review_id, "action:1:0", "li-wei")
    with web.client() as client:
        page = client.get(action_link)
        assert "Train the night shift" in page.text and "Li Wei" in page.text
        guard = _guard(page)
        empty = client.post(action_link, data={"guard": guard, "note": ""})
        assert empty.status_code == 422 and "请说明完成了什么" in empty.text  # Li Wei reads Chinese
        files = [("files", ("training-list.png", PNG))]
        done = client.post(action_link, data={"guard": guard, "note": "Trained 14"}, files=files)
        assert done.status_code == 200 and "已记录为完成" in done.text
        evidence = re.search(r'href="(/r/[^"]+/files/([^"]+))"[^>]*>[^<]*training-list', done.text)
        assert evidence and client.get(evidence.group(1)).content == PNG
        # A file of another review is not seen through this link.
        other = _convened(web, "tom-hughes")
        with web.sessions() as session:
            foreign = session.scalars(
                select(ReviewFile.id).where(ReviewFile.review_id == other)
            ).first()
        prefix = evidence.group(1).rsplit("/", 1)[0]
        assert client.get(f"{prefix}/{foreign}").status_code == 404
    with web.sessions() as session:
        action = session.scalars(
            select(ReviewTask).where(
                ReviewTask.review_id == review_id,
                ReviewTask.kind == TaskKind.ACTION,
                ReviewTask.number == 1,
            )
        ).one()
        assert action.status is StepStatus.DECIDED
        assert (action.decision or {})["note"] == "Trained 14"
        assert len((action.decision or {})["evidence"]) == 1


def test_a_quality_lead_changes_an_action_and_schedules_a_management_review(
    area: WebApp,  # noqa: F811
    prefect_server: PrefectServer,
) -> None:
    review_id = _convened(area, "tom-hughes")
    with area.client() as client:
        link = _link(area, review_id, "pack", "tom-hughes")
        client.post(link, data={**MINUTES, "guard": _guard(client.get(link))})
    with area.sessions.begin() as session:
        apply_minutes(session, ORG, area.settings, review_id, now=NOW)
        task = session.scalars(
            select(ReviewTask).where(
                ReviewTask.review_id == review_id,
                ReviewTask.number == 2,
                ReviewTask.kind == TaskKind.ACTION,
            )
        ).one()
    with area.client() as client:
        guard = _signed_in(area, client)
        page = client.get("/reviews")
        assert "Check incoming thermostats" in page.text and "管理评审" in page.text
        no_reason = client.post(
            f"/reviews/actions/{task.id}", data={"guard": guard, "owner": "wang-jun"}
        )
        assert no_reason.status_code == 422 and "请说明原因" in no_reason.text
        changed = client.post(
            f"/reviews/actions/{task.id}",
            data={"guard": guard, "owner": "wang-jun", "reason": "Anna is on leave"},
        )
        assert changed.status_code == 303
        too_late = client.post(
            "/reviews/management",
            data={"guard": guard, "recipients": ["zhang-min"], "meeting_in_days": "99"},
        )
        assert too_late.status_code == 422 and "0 到 60" in too_late.text
        created = client.post(
            "/reviews/schedules",
            data={
                "guard": guard,
                "review": "management",
                "period": "quarter",
                "day": "5",
                "time": "09:30",
                "recipients": ["zhang-min", "tom-hughes"],
                "active": "yes",
            },
        )
        assert created.status_code == 303
        # Shown in the area with the others, as a management review's.
        listed = client.get("/reviews").text
        assert "30 9 5 1,4,7,10 *" in listed and "管理评审</strong>" in listed
    with area.sessions() as session:
        moved = session.get_one(ReviewTask, task.id)
        assert moved.assignee == "wang-jun" and moved.history[0]["reason"] == "Anna is on leave"
        asked = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedup_key == f"review:{review_id}:action:2:1:wang-jun"
            )
        ).one()
        assert "Anna is on leave" in asked.body_text
    deployment = prefect_server.get("/deployments/name/management-review/management-review")
    schedules = prefect_server.get(f"/deployments/{deployment['id']}/schedules")
    made = [s for s in schedules if s["schedule"].get("cron") == "30 9 5 1,4,7,10 *"]
    assert len(made) == 1
    assert made[0]["parameters"] == {"recipients": ["zhang-min", "tom-hughes"]}
    prefect_server.delete(f"/deployments/{deployment['id']}/schedules/{made[0]['id']}")
