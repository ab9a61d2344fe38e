"""Containment within 48 hours, acted out by the people involved, through real emails.

The handler asks the complainant for photos, the complainant answers with one, the
handler assesses the complaint as ours and convenes the urgent meeting (a calendar
invitation), moves it once, submits the minutes with three interim measures, and three
owners report them done. A major complaint that is not ours needs a quality lead's
approval of the explanation first.
"""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Attachment, Event, Meeting, Step, utcnow
from tests.support.calendar import calendar_part, invitation_of, mailto
from tests.support.forms import local_input, ours
from tests.support.inbox import PDF, Inbox, post_form
from tests.support.links import form_guard, step_link
from tests.support.people import complaint_payload
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e

HANDLER = "li.wei@acme.example"  # owns kettles in samples/organization.toml
QUALITY_LEAD = "zhang.min@acme.example"
WANG = "wang.jun@acme.example"
MARIA = "maria.lopez@acme.example"  # English, Europe/Madrid


def _png() -> bytes:
    """Return a real 1x1 PNG photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _steps(sessions: sessionmaker[Session], complaint_id: str) -> dict[str, Step]:
    with sessions() as session:
        rows = session.scalars(select(Step).where(Step.complaint_id == uuid.UUID(complaint_id)))
        return {s.key: s for s in rows}


def test_ours_with_photos_meeting_and_three_interim_measures_is_contained(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    payload = complaint_payload()
    complainant = payload["complainant"]["email"]
    created = stack.file_complaint(payload)
    reference = created["reference"]
    inbox = Inbox(stack, reference)
    # Runs start in the order complaints arrived; earlier tests may have left a queue.
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    inbox.next(complainant, "我们已收到您的投诉")
    assessment = step_link(inbox.next(HANDLER, "待评估")[0])

    # The status page before: in the complainant's language, what they were told.
    before = httpx.get(created["status_url"], timeout=10)
    assert before.status_code == 200 and 'lang="zh-CN"' in before.text
    assert "我们已收到您的投诉" in before.text and "评估中" in before.text

    # 1. The handler needs photos first: a question to the complainant.
    asked = post_form(
        assessment,
        {"ours": "ask", "question": "请发送水壶底部的照片。Please send a photo of the base."},
    )
    assert asked.status_code == 200
    prefect_server.wait_suspended_at(run_id, "info-request-1")

    # 2. The complainant answers with a photo (a fake one is refused first; nothing kept).
    request = inbox.next(complainant, "关于您的投诉")[0]
    assert "请发送水壶底部的照片" in request.part("plain")
    answer_link = step_link(request)
    page = httpx.get(answer_link, timeout=10)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert "Timeline" not in page.text and "时间线" not in page.text  # no internal record
    fake = post_form(
        answer_link,
        {"answer": "见附件"},
        files=[("files", ("photo.jpg", b"MZ\x90\x00 not a photo", "image/jpeg"))],
    )
    assert fake.status_code == 422 and "photo.jpg 不是照片或 PDF" in fake.text
    photo = _png()
    answered = post_form(
        answer_link,
        {"answer": "底部密封圈开裂，见照片。"},
        files=[("files", ("底部.png", photo, "image/png"))],
    )
    assert answered.status_code == 200
    with stack_sessions() as session:
        files = session.scalars(
            select(Attachment).where(Attachment.complaint_id == uuid.UUID(created["id"]))
        ).all()
    assert [(f.filename, f.content_type, f.uploaded_by) for f in files] == [
        ("底部.png", "image/png", "complainant")
    ]

    # 3. The handler sees the answer and the photo, and assesses: ours, major, meeting.
    second = inbox.next(HANDLER, "待评估")[0]
    assert "底部密封圈开裂" in second.part("plain")
    second_link = step_link(second)
    second_page = httpx.get(second_link, timeout=10).text
    file_links = re.findall(r'href="(/s/[^"]+/files/[^"]+)"', second_page)
    assert len(file_links) == 1 and "底部.png" in second_page
    photo_url = stack.base_url + file_links[0]
    fetched = httpx.get(photo_url, timeout=10)
    assert fetched.status_code == 200 and fetched.content == photo
    assert fetched.headers["content-type"] == "image/png"
    meeting_at = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    decided = post_form(
        second_link,
        {
            **ours(grade="major_complaint", attendees=("wang-jun", "maria-lopez")),
            "meeting_at": local_input(meeting_at),
            "safety_relevant": "yes",
        },
    )
    assert decided.status_code == 200
    prefect_server.wait_suspended_at(run_id, "containment-1")

    # 4. The invitation: a real calendar request to the organizer and each attendee.
    invitations = [
        *inbox.next(HANDLER, "紧急临时措施会议"),
        *inbox.next(WANG, "紧急临时措施会议"),
        *inbox.next(MARIA, "Urgent containment meeting"),
    ]
    events = [invitation_of(m) for m in invitations]
    raw, event = events[0]
    assert "METHOD:REQUEST" in raw and "BEGIN:VTIMEZONE" in raw and "TZID:Asia/Shanghai" in raw
    assert all(line.endswith("\r") or not line for line in raw.split("\n")[:-1])  # CRLF
    assert calendar_part(invitations[0]).get_param("method") == "REQUEST"
    uid = str(event["UID"])
    assert {str(e["UID"]) for _raw, e in events} == {uid}
    assert int(event["SEQUENCE"]) == 0
    assert mailto(event["ORGANIZER"]) == HANDLER and event["ORGANIZER"].params["CN"] == "Li Wei"
    assert sorted(mailto(a) for a in event["ATTENDEE"]) == sorted([WANG, MARIA])
    start = event["DTSTART"].dt
    assert start == meeting_at and getattr(start.tzinfo, "key", None) == "Asia/Shanghai"
    assert event["DTEND"].dt - start == timedelta(minutes=45)
    assert "(Europe/Madrid)" in invitations[2].part("plain")  # Maria's own time zone
    inbox.next(complainant, "有新进展")  # containment has begun

    # 5. The organizer moves the meeting: the same event, updated everywhere.
    minutes_link = step_link(inbox.next(HANDLER, "待提交临时措施会议纪要")[0])
    moved_to = meeting_at + timedelta(hours=1)
    minutes_page = httpx.get(minutes_link, timeout=10).text
    assert 'action="/s/' in minutes_page and "/reschedule" in minutes_page
    moved = httpx.post(
        minutes_link + "/reschedule",
        data={
            "guard": form_guard(minutes_page),
            "meeting_at": local_input(moved_to),
            "meeting_minutes": "60",
            "meeting_location": "B2",
        },
        timeout=10,
    )
    assert moved.status_code == 200 and "B2" in moved.text
    updates = [
        *inbox.next(HANDLER, "紧急临时措施会议"),
        *inbox.next(WANG, "紧急临时措施会议"),
        *inbox.next(MARIA, "Urgent containment meeting"),
    ]
    for message in updates:
        _raw, update = invitation_of(message)
        assert str(update["UID"]) == uid and int(update["SEQUENCE"]) == 1
        assert update["DTSTART"].dt == moved_to and str(update["LOCATION"]) == "B2"

    # 6. The minutes: three interim measures with three owners, and the cause analysis.
    due = local_input(utcnow() + timedelta(days=1))
    minutes = {
        "summary": "密封圈批次问题 Seal batch problem",
        "measure-0-type": "exchange",
        "measure-0-description": "给投诉人换新水壶",
        "measure-0-owner": "li-wei",
        "measure-0-due_at": due,
        "measure-1-type": "repair",
        "measure-1-description": "检查库存中同批次的密封圈",
        "measure-1-owner": "wang-jun",
        "measure-1-due_at": due,
        "measure-2-type": "recall",
        "measure-2-description": "Recall the K2 kettles shipped to Madrid",
        "measure-2-owner": "nobody",
        "measure-2-due_at": due,
        "analysis-analyst": "wang-jun",
        "analysis-due_at": local_input(utcnow() + timedelta(days=5)),
        "analysis-scope": "密封圈供应商批次",
        "analysis-method": "5-Why",
    }
    refused = post_form(minutes_link, minutes)
    assert refused.status_code == 422 and 'class="error"' in refused.text
    assert post_form(minutes_link, {**minutes, "measure-2-owner": "maria-lopez"}).status_code == 200

    # 7. Each owner hears of their measure; they report in reverse order.
    measures = {
        "maria": step_link(inbox.next(MARIA, "Interim measure for you")[0]),
        "wang": step_link(inbox.next(WANG, "您负责的临时措施")[0]),
        "li": step_link(inbox.next(HANDLER, "您负责的临时措施")[0]),
    }
    prefect_server.wait_suspended_at(run_id, "measure-1")
    assert eventually(stack.holds_no_run_process, what="no run process") is True
    assert (
        post_form(measures["maria"], {"note": "Recall notice sent to 12 customers"}).status_code
        == 200
    )
    assert post_form(measures["wang"], {"note": "库存已检查，隔离 40 个"}).status_code == 200
    done = post_form(
        measures["li"],
        {"note": "已换新"},
        files=[("files", ("签收单.pdf", PDF, "application/pdf"))],
    )
    assert done.status_code == 200

    # 8. Containment is complete: the root cause is next (its analyst is asked), and the
    # complainant is told.
    prefect_server.wait_suspended_at(run_id, "cause-analysis-1")
    inbox.next(WANG, "请您进行根本原因分析")
    progress = stack.complaint(created["id"])
    assert progress["stage"] == "root_cause" and progress["grade"] == "major_complaint"
    inbox.next(complainant, "有新进展")
    recorded = _steps(stack_sessions, created["id"])
    assert sorted(recorded) == sorted(
        [
            *("assessment-1", "info-request-1", "assessment-2", "containment-1"),
            *("measure-1", "measure-2", "measure-3", "cause-analysis-1"),
        ]
    )
    assert recorded.pop("cause-analysis-1").assignee == "wang-jun"  # named in the minutes
    assert {k: (s.status, s.decided_by) for k, s in recorded.items()} == {
        "assessment-1": ("decided", "li-wei"),
        "info-request-1": ("decided", "complainant"),
        "assessment-2": ("decided", "li-wei"),
        "containment-1": ("decided", "li-wei"),
        "measure-1": ("decided", "li-wei"),
        "measure-2": ("decided", "wang-jun"),
        "measure-3": ("decided", "maria-lopez"),
    }
    assert recorded["measure-1"].decision is not None
    assert len(recorded["measure-1"].decision["evidence"]) == 1
    with stack_sessions() as session:
        meeting = session.scalars(
            select(Meeting).where(Meeting.complaint_id == uuid.UUID(created["id"]))
        ).one()
        completed = session.scalars(
            select(Event).where(
                Event.complaint_id == uuid.UUID(created["id"]),
                Event.kind == "containment.completed",
            )
        ).all()
    assert (meeting.uid, meeting.sequence, meeting.location) == (uid, 1, "B2")
    assert len(completed) == 1

    # Nothing was sent twice: each email once (invitations once per version).
    counts = inbox.counts()
    print(f"\ncontainment emails: {sum(counts.values())}, by recipient and subject: {counts}")
    assert counts[(HANDLER, f"待评估：投诉 {reference}")] == 2  # two assessment rounds
    assert counts[(WANG, f"紧急临时措施会议：投诉 {reference}")] == 2  # invitation + update
    assert counts[(complainant, f"您的投诉 {reference} 有新进展")] == 2  # containment, cause
    assert all(
        n == 1
        for key, n in counts.items()
        if "待评估" not in key[1]
        and "紧急临时措施会议" not in key[1]
        and "Urgent" not in key[1]
        and "有新进展" not in key[1]
    )

    # Prefect holds ids and references only: not the complainant's name, email, phone
    # or answer, although the answer resumed the run.
    secrets = [payload["complainant"][k] for k in ("name", "email", "phone")] + ["底部密封圈开裂"]
    exposed = everything_prefect_holds(prefect_server, run_id, "Contained")
    assert reference in exposed and "measure-3" in exposed  # the scan does see the run
    assert [s for s in secrets if s in exposed] == []

    # The status page after: the new stage, and the history of what they were told.
    after = httpx.get(created["status_url"], timeout=10)
    assert after.status_code == 200 and "查找原因" in after.text
    assert after.text.count(reference) >= 4 and "关于您的投诉" in after.text


def test_not_ours_major_complaint_needs_a_quality_leads_approval(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    payload = complaint_payload(locale="en")
    complainant = payload["complainant"]["email"]
    created = stack.file_complaint(payload)
    reference = created["reference"]
    inbox = Inbox(stack, reference)
    # Runs start in the order complaints arrived; earlier tests may have left a queue.
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    not_ours = {"ours": "no", "valid": "no", "grade": "major_complaint"}

    first = step_link(inbox.next(HANDLER, "待评估")[0])
    draft = "The kettle was used with a 110 V converter."
    assert post_form(first, {**not_ours, "explanation": draft}).status_code == 200

    # The quality lead sends the draft back; the handler assesses again.
    approval = inbox.next(QUALITY_LEAD, "待批准")[0]
    assert draft in approval.part("plain")
    returned = post_form(step_link(approval), {"approved": "no", "comment": "附上电压检测结果"})
    assert returned.status_code == 200
    second = inbox.next(HANDLER, "待评估")[0]
    assert "附上电压检测结果" in second.part("plain")
    better = draft + " Our test showed 110 V damage on the heating element."
    assert post_form(step_link(second), {**not_ours, "explanation": better}).status_code == 200

    # Approved with a final edit: the complainant receives exactly that, in English.
    final_text = better + " We are sorry for the trouble."
    approval_link = step_link(inbox.next(QUALITY_LEAD, "待批准")[0])
    page = httpx.get(approval_link, timeout=10).text
    assert "110 V damage" in page  # the draft is there to edit
    assert (
        post_form(approval_link, {"approved": "yes", "explanation": final_text}).status_code == 200
    )
    eventually(
        lambda: prefect_server.flow_run(run_id)["state"]["type"] == "COMPLETED",
        seconds=180,
        what="run completed",
    )
    told = inbox.next(complainant, "The outcome of your complaint")
    assert final_text in told[0].part("plain")
    assert draft + " We" not in told[0].part("plain")
    progress = stack.complaint(created["id"])
    assert (progress["stage"], progress["resolution"]) == ("closed", "not_ours")
    recorded = _steps(stack_sessions, created["id"])
    assert {k: s.decided_by for k, s in recorded.items()} == {
        "assessment-1": "li-wei",
        "not-ours-approval-1": "zhang-min",
        "assessment-2": "li-wei",
        "not-ours-approval-2": "zhang-min",
    }
    counts = inbox.counts()
    assert counts[(complainant, f"The outcome of your complaint {reference}")] == 1
    assert sum(n for (to, _s), n in counts.items() if to == QUALITY_LEAD) == 2
