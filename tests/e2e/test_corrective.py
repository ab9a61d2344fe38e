"""From root cause to corrective actions, acted out through real emails and links.

A systemic case: the analyst finds a material cause shared by a batch, the second meeting
(a calendar invitation) decides a recall, customer notifications, rework and improvements
with five owners; a quality lead reassigns one action, another goes overdue and is
escalated, and the run waits, suspended, until every action is done.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Event, Step, utcnow
from tests.conftest import once_on
from tests.support.calendar import invitation_of, mailto
from tests.support.forms import local_input, ours
from tests.support.inbox import PDF, Inbox, post_form
from tests.support.links import step_link
from tests.support.people import complaint_payload
from tests.support.processes import children_of
from tests.support.stack import PrefectServer, Stack, eventually, run_deadline_watch

pytestmark = pytest.mark.e2e

HANDLER = "li.wei@acme.example"
ANALYST = "wang.jun@acme.example"
QUALITY_LEAD = "zhang.min@acme.example"
MARIA = "maria.lopez@acme.example"
TOM = "tom.hughes@acme.example"
ANNA = "anna.berg@acme.example"
_LINKS = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+")


def _contain_quickly(stack: Stack, inbox: Inbox, run_id: str, server: PrefectServer) -> None:
    """Assess as ours and contain with one measure; the analyst is Wang Jun."""
    assessment = step_link(inbox.next(HANDLER, "待评估")[0])
    assert post_form(assessment, ours(grade="major_complaint")).status_code == 200
    minutes = step_link(inbox.next(HANDLER, "待提交临时措施会议纪要")[0])
    due = local_input(utcnow() + timedelta(days=1))
    contained = post_form(
        minutes,
        {
            "measure-0-type": "exchange",
            "measure-0-description": "换新水壶",
            "measure-0-owner": "li-wei",
            "measure-0-due_at": due,
            "analysis-analyst": "wang-jun",
            "analysis-due_at": local_input(utcnow() + timedelta(days=5)),
            "analysis-scope": "密封圈批次",
            "analysis-method": "5-Why",
        },
    )
    assert contained.status_code == 200
    measure = step_link(inbox.next(HANDLER, "您负责的临时措施")[0])
    assert post_form(measure, {"note": "已换新"}).status_code == 200
    server.wait_suspended_at(run_id, "cause-analysis-1")


def test_systemic_case_with_recall_five_owners_a_reassignment_and_an_escalation(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    once_on(backend, "postgresql")
    payload = complaint_payload()
    created = stack.file_complaint(payload)
    reference = created["reference"]
    inbox = Inbox(stack, reference)
    # Runs start in the order complaints arrived; earlier tests may have left a queue.
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    _contain_quickly(stack, inbox, run_id, prefect_server)

    # 1. The analyst: 5-Why, Ishikawa, scope. A shared problem must say what it shares.
    analysis_link = step_link(inbox.next(ANALYST, "请您进行根本原因分析")[0])
    meeting_at = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    analysis: dict[str, Any] = {
        "why-1": "水壶漏水",
        "why-2": "底部密封圈开裂",
        "why-3": "密封圈硬度不足",
        "why-4": "供应商更换了橡胶配方",
        "why-5": "来料检验未测硬度",
        "root_cause": "B-2611 批次密封圈材料不合格，来料检验漏检",
        "category": "material",
        "scope": "systemic",
        "meeting_at": local_input(meeting_at),
        "meeting_minutes": "90",
        "meeting_location": "Room 502",
        "attendees": ["maria-lopez"],
    }
    vague = post_form(analysis_link, analysis)
    assert vague.status_code == 422 and "say which batches or which period share it" in vague.text
    analysed = post_form(
        analysis_link,
        {**analysis, "affected_batches": "B-2611", "affected_period": "2026-09 – 2026-10"},
        files=[("files", ("硬度测试.pdf", PDF, "application/pdf"))],
    )
    assert analysed.status_code == 200

    # 2. The second meeting: its own calendar event, the analyst invited.
    invitations = [
        *inbox.next(HANDLER, "原因分析会议"),
        *inbox.next(ANALYST, "原因分析会议"),
        *inbox.next(MARIA, "Root-cause meeting"),
    ]
    events = [invitation_of(m)[1] for m in invitations]
    assert len({str(e["UID"]) for e in events}) == 1
    assert mailto(events[0]["ORGANIZER"]) == HANDLER
    assert sorted(mailto(a) for a in events[0]["ATTENDEE"]) == sorted([ANALYST, MARIA])
    assert events[0]["DTSTART"].dt == meeting_at and "root-cause" in str(events[0]["SUMMARY"])

    # 3. The minutes decide the actions: a shared problem needs more than improvements.
    plan_link = step_link(inbox.next(HANDLER, "待确定措施")[0])
    soon = utcnow() + timedelta(hours=3)
    later = local_input(utcnow() + timedelta(days=10))
    rows = [
        ("recall", "召回 B-2611 批次全部水壶", "maria-lopez", later),
        ("notify_customers", "通知 B-2611 批次的其他客户", "tom-hughes", later),
        ("rework", "库存水壶更换密封圈", "wang-jun", later),
        ("corrective", "来料检验增加硬度测试", "li-wei", later),
        ("preventive", "Supplier change approval for rubber parts", "anna-berg", local_input(soon)),
    ]
    plan = {"summary": "按共性问题处理"}
    for row, (kind, text, owner, due) in enumerate(rows):
        plan |= {
            f"action-{row}-type": kind,
            f"action-{row}-description": text,
            f"action-{row}-owner": owner,
            f"action-{row}-due_at": due,
        }
    only_improvements = {
        k: v for k, v in plan.items() if not k.startswith(("action-0", "action-1", "action-2"))
    }
    refused = post_form(plan_link, only_improvements)
    assert refused.status_code == 422 and "the problem is shared" in refused.text
    assert post_form(plan_link, plan).status_code == 200

    # 4. Each owner hears of their action; the quality lead gets the list to manage.
    links = {
        "maria": step_link(inbox.next(MARIA, "Corrective action for you")[0]),
        "tom": step_link(inbox.next(TOM, "Corrective action for you")[0]),
        "wang": step_link(inbox.next(ANALYST, "您负责的纠正措施")[0]),
        "li": step_link(inbox.next(HANDLER, "您负责的纠正措施")[0]),
        "anna": step_link(inbox.next(ANNA, "Corrective action for you")[0]),
    }
    overview = inbox.next(QUALITY_LEAD, "待跟踪的措施计划")[0]
    manage_links = _LINKS.findall(overview.part("plain"))
    assert len(manage_links) == 5
    prefect_server.wait_suspended_at(run_id, "action-1")
    assert eventually(lambda: not children_of(stack.worker.pid) or None, what="no child") is True

    # 5. The quality lead reassigns the notifications from Tom to Zhang Min, with a reason.
    manage_page = httpx.get(manage_links[1], timeout=10)
    assert manage_page.status_code == 200 and "通知 B-2611" in manage_page.text
    guard = re.search(r'name="guard" value="([0-9a-f]+)"', manage_page.text)
    assert guard
    reassigned = httpx.post(
        manage_links[1] + "/manage",
        data={"guard": guard.group(1), "owner": "zhang-min", "reason": "Tom 休假两周"},
        timeout=10,
    )
    assert reassigned.status_code == 200
    assert httpx.get(links["tom"], timeout=10).status_code == 404  # his link died
    links["zhang"] = step_link(inbox.next(QUALITY_LEAD, "您负责的纠正措施")[0])
    assert httpx.get(links["zhang"], timeout=10).status_code == 200

    # 6. A progress note, which decides nothing.
    wang_page = httpx.get(links["wang"], timeout=10).text
    wang_guard = re.search(r'name="guard" value="([0-9a-f]+)"', wang_page)
    assert wang_guard
    noted = httpx.post(
        links["wang"] + "/progress",
        data={"guard": wang_guard.group(1), "progress": "已返工 120 台"},
        timeout=10,
    )
    assert noted.status_code == 200

    # 7. Anna's action is overdue: reminded, then escalated, once each (two watches).
    with stack_sessions() as session:
        anna_due = session.scalars(
            select(Step.due_at).where(
                Step.complaint_id == uuid.UUID(created["id"]), Step.key == "action-5"
            )
        ).one()
    assert anna_due is not None
    for as_of in (anna_due + timedelta(hours=1), anna_due + timedelta(hours=1)):
        watch = run_deadline_watch(prefect_server, as_of)
        eventually(
            lambda w=watch: prefect_server.flow_run(w)["state"]["type"] == "COMPLETED",
            seconds=180,
            what="watch finished",
        )
    inbox.next(ANNA, "Reminder")
    escalation = inbox.next(QUALITY_LEAD, "已逾期")[0]
    assert "Anna Berg" in escalation.part("plain")

    # 8. Everyone reports done; the run moves on only when the last action is done.
    for who in ("anna", "li", "zhang", "maria"):
        assert post_form(links[who], {"note": f"done by {who}"}).status_code == 200
    prefect_server.wait_suspended_at(run_id, "action-3")
    done = post_form(
        links["wang"],
        {"note": "返工完成"},
        files=[("files", ("返工记录.pdf", PDF, "application/pdf"))],
    )
    assert done.status_code == 200
    eventually(
        lambda: prefect_server.flow_run(run_id)["state"]["type"] == "COMPLETED",
        seconds=180,
        what="run completed",
    )
    assert stack.complaint(created["id"])["stage"] == "corrective_action"

    with stack_sessions() as session:
        steps = {
            s.key: s
            for s in session.scalars(
                select(Step).where(Step.complaint_id == uuid.UUID(created["id"]))
            )
        }
        kinds = Counter(
            e.kind
            for e in session.scalars(
                select(Event).where(Event.complaint_id == uuid.UUID(created["id"]))
            )
        )
    assert {k: s.decided_by for k, s in steps.items() if re.fullmatch(r"action-\d", k)} == {
        "action-1": "maria-lopez",
        "action-2": "zhang-min",
        "action-3": "wang-jun",
        "action-4": "li-wei",
        "action-5": "anna-berg",
    }
    assert steps["cause-analysis-1"].decision is not None
    assert steps["cause-analysis-1"].decision["scope"] == "systemic"
    assert len(steps["cause-analysis-1"].decision["evidence"]) == 1
    assert kinds["action.reassigned"] == 1 and kinds["action.progress"] == 1
    assert kinds["actions.completed"] == 1
    counts = inbox.counts()
    print(f"\ncorrective actions: {sum(counts.values())} emails, events {dict(kinds)}")
    assert counts[(ANNA, f"Reminder: complaint {reference} is waiting for you")] == 1
    assert counts[(QUALITY_LEAD, f"已逾期：投诉 {reference} 需要关注")] == 1
    assert counts[(TOM, f"Corrective action for you: complaint {reference}")] == 1
