"""From root cause to closure, acted out through real emails and links.

A systemic case: the analyst finds a material cause shared by a batch, the second meeting
(a calendar invitation) decides a recall, customer notifications, rework and improvements
with five owners; a quality lead reassigns one action, another goes overdue and is
escalated, and the run waits, suspended, until every action is done. The quality lead
gets the incident report; the complainant turns the first answer down and accepts the
second; a dissatisfied survey creates an improvement action; the effectiveness check
finds a recurrence and asks for new actions; the second check closes the complaint; and
a quality lead reopens it.
"""

from __future__ import annotations

import io
import re
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Event, Step, utcnow
from devtools.mailbox import StoredMessage
from tests.support.calendar import invitation_of, mailto
from tests.support.forms import local_input, ours
from tests.support.inbox import PDF, Inbox, post_form
from tests.support.links import step_link
from tests.support.people import complaint_payload
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.stack import PrefectServer, Stack, eventually, run_deadline_watch

pytestmark = pytest.mark.e2e

HANDLER = "li.wei@acme.example"
ANALYST = "wang.jun@acme.example"
QUALITY_LEAD = "zhang.min@acme.example"
MARIA = "maria.lopez@acme.example"
TOM = "tom.hughes@acme.example"
ANNA = "anna.berg@acme.example"
_LINKS = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+")


def _attachment(message: StoredMessage, content_type: str) -> bytes:
    """Return the bytes of an email's one attachment of a content type."""
    found = [
        part.get_payload(decode=True)
        for part in message.message.walk()
        if part.get_content_type() == content_type and part.get_filename()
    ]
    assert len(found) == 1 and isinstance(found[0], bytes), content_type
    return found[0]


def _answer_links(message: StoredMessage) -> tuple[str, str]:
    """Return the complainant's two links in an answer: accept, and not satisfied."""
    links = re.findall(
        r"https?://\S+/s/[A-Za-z0-9_-]+\?answer=(?:accept|not_satisfied)", message.part("plain")
    )
    accept = [link for link in links if link.endswith("=accept")]
    reject = [link for link in links if link.endswith("=not_satisfied")]
    assert len(accept) == 1 and len(reject) == 1, links
    return accept[0], reject[0]


def _watch(server: PrefectServer, as_of: datetime) -> None:
    """Run the deadline watch with its clock at ``as_of`` and wait until it is done."""
    watch = run_deadline_watch(server, as_of)
    eventually(
        lambda: server.flow_run(watch)["state"]["type"] == "COMPLETED",
        seconds=180,
        what="watch finished",
    )


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


def test_systemic_case_from_root_cause_through_answer_follow_up_and_effectiveness_to_closure(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
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
    # In the analyst's language (Wang Jun reads Chinese): "say which batches share it".
    assert vague.status_code == 422 and "请说明哪些批次或哪个时期存在同样问题" in vague.text
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
    assert refused.status_code == 422 and "问题具有共性" in refused.text
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
    assert eventually(stack.holds_no_run_process, what="no run process") is True

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

    # 9. The incident report, from the record, as HTML and PDF, to the quality lead.
    report = inbox.next(QUALITY_LEAD, "事故处理报告")[0]
    pdf = _attachment(report, "application/pdf")
    reader = PdfReader(io.BytesIO(pdf))
    assert [item.title for item in reader.outline] == [
        "1. 投诉概况",
        "2. 临时围堵措施",
        "3. 原因分析",
        "4. 纠正与预防措施",
        "5. 证据清单",
        "6. 处理时间线",
    ]
    # The font puts NULs or spaces between glyphs when read back; the first pages are
    # facts (the later ones tables, which pypdf reads back garbled).
    text = "".join(
        "".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages[:2]
    )
    assert reference in text and "B-2611批次密封圈材料不合格" in text and "召回B-2611批次" in text
    assert "返工记录.pdf" in _attachment(report, "text/html").decode()
    assert b"<html" in _attachment(report, "text/html").lower()

    # 10. The answer (a major complaint: the quality lead approves it first).
    complainant = payload["complainant"]["email"]
    draft = {
        "remedy": "为您更换新水壶，并补偿 200 元",
        "actions_taken": "召回 B-2611 批次，更换全部库存密封圈",
        "prevention": "来料检验增加硬度测试",
    }
    response = step_link(inbox.next(HANDLER, "请答复投诉人")[0])
    assert "召回 B-2611" in httpx.get(response, timeout=10).text  # what was done, to draw on
    assert post_form(response, draft).status_code == 200
    approval = step_link(inbox.next(QUALITY_LEAD, "待批准")[0])
    approved = {**draft, "remedy": draft["remedy"] + "（含运费）", "approved": "yes"}
    assert post_form(approval, approved).status_code == 200
    # Operators see the report issued in the complaint's Event Feed: which one, no content.
    issued_query = {
        "filter": {
            "event": {"name": ["complaint.report.issued"]},
            "resource": {"id": [f"complaint.{created['id']}"]},
        },
        "limit": 10,
    }
    issued = eventually(
        lambda: prefect_server.post("/events/filter", issued_query)["events"],
        what="the report's event",
    )
    assert {e["payload"]["key"] for e in issued} == {f"incident-report-{reference}"}
    assert all(set(e["payload"]) == {"key", "language", "seq"} for e in issued)
    assert any(
        r["prefect.resource.id"] == f"prefect.flow-run.{run_id}" for r in issued[0]["related"]
    )
    first = inbox.next(complainant, "的答复")[0]
    assert "（含运费）" in first.part("plain")
    accept_link, reject_link = _answer_links(first)
    page = httpx.get(reject_link, timeout=10).text
    assert 'value="not_satisfied" checked' in page  # the link presets the choice
    assert post_form(reject_link, {"answer": "not_satisfied"}).status_code == 422
    rejected = post_form(reject_link, {"answer": "not_satisfied", "reason": "补偿太少"})
    assert rejected.status_code == 200

    # 11. The handler answers again, with the complainant's reason in front of them.
    second_draft = step_link(inbox.next(HANDLER, "请答复投诉人")[0])
    assert "补偿太少" in httpx.get(second_draft, timeout=10).text
    better = {**draft, "remedy": "为您更换新水壶，并补偿 500 元"}
    assert post_form(second_draft, better).status_code == 200
    approval = step_link(inbox.next(QUALITY_LEAD, "待批准")[0])
    assert post_form(approval, {**better, "approved": "yes"}).status_code == 200
    second = inbox.next(complainant, "的答复")[0]
    accept_link, _ = _answer_links(second)
    assert post_form(accept_link, {"answer": "accept"}).status_code == 200
    told = inbox.next(ANNA, "decision")[0]  # every employee concerned hears of it
    assert "accepted" in told.part("plain")

    # 12. Days later, the survey: dissatisfied, so the handler's department improves.
    prefect_server.wait_suspended_at(run_id, "survey-1")
    assert eventually(stack.holds_no_run_process, what="no run process") is True
    _watch(prefect_server, utcnow() + timedelta(days=15))
    survey = step_link(inbox.next(complainant, "处理得如何")[0])
    assert post_form(survey, {"score": "2", "comment": "等太久了"}).status_code == 200
    improvement = step_link(inbox.next(HANDLER, "您负责的纠正措施")[0])
    assert "等太久了" in httpx.get(improvement, timeout=10).text
    assert post_form(improvement, {"note": "投诉答复时限缩短为 3 天"}).status_code == 200

    # 13. A month after the actions: the same product complained about again.
    prefect_server.wait_suspended_at(run_id, "effectiveness-1")
    again = stack.file_complaint(complaint_payload(product=payload["product"]))
    _watch(prefect_server, utcnow() + timedelta(days=31))
    check = step_link(inbox.next(QUALITY_LEAD, "有效性验证")[0])
    figures = httpx.get(check, timeout=10).text.split('id="recurrence"')[1].split("</div>")[0]
    assert "共 1 起" in figures, figures  # the complaint filed just now, not analysed yet
    assert post_form(check, {"effective": "no"}).status_code == 422
    assert post_form(check, {"effective": "no", "comment": "同型号又有漏水"}).status_code == 200
    new_plan = step_link(inbox.next(HANDLER, "待确定措施")[0])
    assert "同型号又有漏水" in httpx.get(new_plan, timeout=10).text
    later_due = local_input(utcnow() + timedelta(days=7))
    replanned = post_form(
        new_plan,
        {
            "action-0-type": "corrective",
            "action-0-description": "密封圈改用新供应商",
            "action-0-owner": "wang-jun",
            "action-0-due_at": later_due,
        },
    )
    assert replanned.status_code == 200
    new_action = step_link(inbox.next(ANALYST, "您负责的纠正措施")[0])
    assert post_form(new_action, {"note": "已切换供应商"}).status_code == 200

    # 14. The second check finds it effective: a clean close.
    prefect_server.wait_suspended_at(run_id, "effectiveness-2")
    _watch(prefect_server, utcnow() + timedelta(days=31))
    check = step_link(inbox.next(QUALITY_LEAD, "有效性验证")[0])
    assert post_form(check, {"effective": "yes"}).status_code == 200
    eventually(
        lambda: prefect_server.flow_run(run_id)["state"]["type"] == "COMPLETED",
        seconds=180,
        what="run completed",
    )
    progress = stack.complaint(created["id"])
    assert (progress["stage"], progress["resolution"]) == ("closed", "resolved")
    status = httpx.get(created["status_url"], timeout=10).text
    assert "已结案" in status
    closing = inbox.next(QUALITY_LEAD, "已结案")[0]
    # Prefect holds ids and references only: not the complainant's data, words or answer.
    secrets = [payload["complainant"][k] for k in ("name", "email", "phone")]
    secrets += ["补偿太少", "等太久了", better["remedy"]]
    exposed = everything_prefect_holds(prefect_server, run_id, "Closed: resolved")
    assert reference in exposed and "effectiveness-2" in exposed  # the scan sees the run
    assert [secret for secret in secrets if secret in exposed] == []

    # 15. The quality lead reopens it: the run goes on, waiting for new actions.
    reopen_link = step_link(closing)
    reopen_page = httpx.get(reopen_link, timeout=10).text
    guard = re.search(r'name="guard" value="([0-9a-f]+)"', reopen_page)
    assert guard
    reopened = httpx.post(
        reopen_link + "/reopen",
        data={"guard": guard.group(1), "reason": "客户又反映漏水"},
        timeout=10,
    )
    assert reopened.status_code == 200
    prefect_server.wait_suspended_at(run_id, "action-plan-3")
    assert stack.complaint(created["id"])["stage"] == "corrective_action"
    assert "客户又反映漏水" in inbox.next(HANDLER, "待确定措施")[0].part("plain")

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
    assert kinds["actions.completed"] == 2 and kinds["actions.reopened"] == 1
    assert kinds["complaint.closed"] == 1 and kinds["complaint.reopened"] == 1
    assert steps["survey-1"].decision == {"score": 2, "comment": "等太久了"}
    assert steps["action-survey"].decided_by == "li-wei"
    assert [steps[f"response-decision-{n}"].decision["accepted"] for n in (1, 2)] == [False, True]
    assert again["reference"] != reference
    counts = inbox.counts()
    print(f"\nroot cause to closure: {sum(counts.values())} emails, events {dict(kinds)}")
    assert counts[(ANNA, f"Reminder: complaint {reference} is waiting for you")] == 1
    assert counts[(QUALITY_LEAD, f"已逾期：投诉 {reference} 需要关注")] == 1
    assert counts[(TOM, f"Corrective action for you: complaint {reference}")] == 1
