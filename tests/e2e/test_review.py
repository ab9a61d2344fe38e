"""The trend analysis on the real stack: a run of the ``complaint-review`` deployment
over a known data set mails each recipient the figures in their language, with charts
inside the email and the PDF and CSV attached, adds a version to the keyed artifact in
Prefect, and keeps the review with its files' hashes (ISO 10002 8.2-8.4, 8.6)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Review
from devtools.mailbox import StoredMessage
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.review_data import COMPLAINANT_EMAIL, COMPLAINANT_NAME, ZONE, DataSet, load
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e

LEAD = "zhang.min@acme.example"  # zh-CN
MANAGER = "tom.hughes@acme.example"  # en


def _start_review(server: PrefectServer, parameters: dict[str, Any]) -> str:
    deployment = server.get("/deployments/name/complaint-review/complaint-review")
    run = server.post(
        f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters}
    )
    return str(run["id"])


def _parts(message: StoredMessage, content_type: str) -> list[Any]:
    return [part for part in message.message.walk() if part.get_content_type() == content_type]


def _file(message: StoredMessage, content_type: str) -> bytes:
    found = [p.get_payload(decode=True) for p in _parts(message, content_type) if p.get_filename()]
    assert len(found) == 1 and isinstance(found[0], bytes), content_type
    return found[0]


def test_a_review_run_mails_the_analysis_keeps_it_and_shows_it_in_prefect(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    with stack_sessions.begin() as session:
        load(session)
    run_id = _start_review(
        prefect_server,
        {"period": "month", "first_day": "2025-03-01", "recipients": ["zhang-min", "tom-hughes"]},
    )
    final = eventually(
        lambda: (
            (state := prefect_server.flow_run(run_id)["state"])["type"]
            in ("COMPLETED", "FAILED", "CRASHED")
            and state
        ),
        seconds=180,
        what="the review run to end",
    )
    assert final["type"] == "COMPLETED", final

    english = eventually(lambda: stack.mail_to(MANAGER, "TA-2025-03"), what="the English report")
    chinese = eventually(lambda: stack.mail_to(LEAD, "TA-2025-03"), what="the Chinese report")
    assert len(english) == len(chinese) == 1  # one each, though the run delivered and the
    [en], [zh] = english, chinese  # loop may have tried too
    assert en.subject == "Complaint trend analysis TA-2025-03"
    assert "投诉趋势分析" in zh.subject
    # Key figures in the text; charts inside the HTML (cid: images in multipart/related).
    assert "7" in en.part("plain") and "2 / 4" in en.part("plain")
    html = en.part("html")
    images = _parts(en, "image/png")
    assert len(images) >= 2
    for image in images:
        content_id = str(image["Content-ID"]).strip("<>")
        assert f"cid:{content_id}" in html
        assert image.get_payload(decode=True).startswith(b"\x89PNG")
    related = _parts(en, "multipart/related")
    assert len(related) == 1
    # The PDF of each reader's language, and the CSV of the rows behind the figures.
    pdf_en, pdf_zh = (
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\x00", "")
        for data in (_file(en, "application/pdf"), _file(zh, "application/pdf"))
    )
    assert "Complaint trend analysis" in pdf_en and "2025-03" in pdf_en
    assert "投诉趋势分析" in pdf_zh and "产品缺陷" in pdf_zh
    rows = list(csv.DictReader(io.StringIO(_file(en, "text/csv").decode("utf-8-sig"))))
    march = [r for r in rows if r["new_in_period"] == "1"]
    assert (len(rows), len(march)) == (9, 7)
    assert sum(r["category_at_end"].startswith("product-defect") for r in march) == 2

    # Kept: the review, its recipients and every file, unchanged since (hash).
    with stack_sessions() as session:
        review = session.scalars(select(Review).where(Review.key == f"flow-run:{run_id}")).one()
        assert review.figures["counts"] == {
            "label": "2025-03",
            "new": 7,
            "closed": 3,
            "open_at_end": 6,
        }
        assert review.recipients == ["zhang-min", "tom-hughes"]
        kinds = sorted(f.content_type for f in review.files)
        assert kinds.count("application/pdf") == 2 and kinds.count("text/csv") == 1
        for stored in review.files:
            data = (stack.workdir / "uploads" / stored.id.hex[:2] / stored.id.hex).read_bytes()
            assert hashlib.sha256(data).hexdigest() == stored.sha256

    # Prefect: a version of the keyed artifact, and nothing of the complainant anywhere.
    artifacts = prefect_server.post(
        "/artifacts/filter", {"artifacts": {"key": {"any_": ["complaint-review-all"]}}}
    )
    assert any(a["flow_run_id"] == run_id for a in artifacts)
    mine = next(a for a in artifacts if a["flow_run_id"] == run_id)
    assert "TA-2025-03" in mine["data"] and "| Product defect | 2 |" in mine["data"]
    exposed = everything_prefect_holds(prefect_server, run_id, "review TA-2025-03 issued")
    assert "TA-2025-03" in exposed
    assert [s for s in (COMPLAINANT_NAME, COMPLAINANT_EMAIL) if s in exposed] == []


def _area_session(stack: Stack) -> tuple[httpx.Client, str]:
    """Sign the quality lead in over HTTP from the link the mail server received."""
    client = httpx.Client(base_url=stack.base_url, timeout=10)
    assert client.post("/reviews/sign-in", data={"email": LEAD}).status_code == 200
    mail = eventually(
        lambda: [m for m in stack.mailbox.store.messages() if LEAD in m.to and "S-" in m.subject],
        what="the sign-in link",
    )
    link = re.search(r"https?://\S+/reviews/sign-in/[A-Za-z0-9_-]+", mail[-1].part("plain"))
    assert link is not None
    path = link.group(0).removeprefix(stack.base_url)
    assert client.post(path).status_code == 303
    page = client.get("/reviews")
    guard = re.search(r'name="guard" value="([0-9a-f]+)"', page.text)
    assert page.status_code == 200 and guard is not None
    return client, guard.group(1)


def test_a_quality_lead_schedules_a_review_and_its_run_mails_the_report(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    client, guard = _area_session(stack)
    created = client.post(
        "/reviews/schedules",
        data={
            "guard": guard,
            "period": "month",
            "day": "3",
            "time": "06:00",
            "timezone": "Europe/Berlin",
            "recipients": ["maria-lopez"],
            "active": "yes",
        },
    )
    assert created.status_code == 303
    deployment = prefect_server.get("/deployments/name/complaint-review/complaint-review")
    schedule = next(
        s
        for s in prefect_server.get(f"/deployments/{deployment['id']}/schedules")
        if s["parameters"].get("recipients") == ["maria-lopez"]
    )
    # The default schedule the web app adds, inactive, is there too (once).
    slugs = [s["slug"] for s in prefect_server.get(f"/deployments/{deployment['id']}/schedules")]
    assert slugs.count("monthly-trend-analysis") == 1

    # The server schedules its runs; the next one is moved to now and the worker runs it.
    prefect_server.post(f"/deployments/{deployment['id']}/schedule", {})
    scheduled = eventually(
        lambda: [
            r
            for r in prefect_server.post(
                "/flow_runs/filter",
                {
                    "deployments": {"id": {"any_": [deployment["id"]]}},
                    "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                },
            )
            if r["parameters"].get("recipients") == ["maria-lopez"]
        ],
        what="a run of the schedule",
    )
    run = min(scheduled, key=lambda r: r["expected_start_time"])
    assert run["parameters"] == {"period": "month", "recipients": ["maria-lopez"]}
    prefect_server.post(
        f"/flow_runs/{run['id']}/set_state",
        {"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": None}}, "force": True},
    )
    report = eventually(
        lambda: [
            m
            for m in stack.mailbox.store.messages()
            if "maria.lopez@acme.example" in m.to and "Complaint trend analysis" in m.subject
        ],
        seconds=180,
        what="the scheduled review's report",
    )
    with stack_sessions() as session:
        review = session.scalars(select(Review).where(Review.key == f"flow-run:{run['id']}")).one()
    assert len(report) == 1 and review.period_label in report[0].subject
    assert _parts(report[0], "image/png")  # its charts inside

    # Paused and deleted from the area: Prefect holds no such schedule any more.
    assert (
        client.post(
            f"/reviews/schedules/{schedule['id']}/delete", data={"guard": guard}
        ).status_code
        == 303
    )
    left = prefect_server.get(f"/deployments/{deployment['id']}/schedules")
    assert all(s["id"] != schedule["id"] for s in left)
    # The review is listed in the area with its files to download.
    page = client.get("/reviews").text
    pdf = re.search(rf'href="(/reviews/files/[0-9a-f-]+)">TA-{review.period_label}[^<]*\.pdf', page)
    assert pdf is not None
    download = client.get(pdf.group(1))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    # Run now, for any days: a run of the deployment with exactly those parameters.
    started = client.post(
        "/reviews/run",
        data={
            "guard": guard,
            "period": "days",
            "first_day": "2025-03-01",
            "last_day": "2025-03-15",
            "recipients": ["maria-lopez"],
            "department": "kitchen",
        },
    )
    assert started.status_code == 303 and started.headers["location"] == "/reviews?done=started"
    expected = {
        "period": "days",
        "first_day": "2025-03-01",
        "last_day": "2025-03-15",
        "recipients": ["maria-lopez"],
        "department": "kitchen",
    }
    eventually(
        lambda: [
            r
            for r in prefect_server.post(
                "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment["id"]]}}}
            )
            if r["parameters"] == expected
        ],
        what="the run started from the area",
    )
    client.close()


def test_the_daily_trend_watch_tells_the_leads_and_emits_a_prefect_event(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    # Three heaters in June 2024 whose root causes are all environmental: a recurrence.
    june = datetime(2024, 6, 10, 9, tzinfo=ZONE)
    with stack_sessions.begin() as session:
        data = DataSet(session, series="T-2024")
        for day in range(3):
            heater = data.complaint(june + timedelta(days=day), "Space heater")
            data.cause(heater, june + timedelta(days=day + 2), "environment", "single")
    deployment = prefect_server.get("/deployments/name/trend-watch/trend-watch")
    run = prefect_server.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"as_of": (june + timedelta(days=6)).isoformat()}},
    )
    final = eventually(
        lambda: (
            (state := prefect_server.flow_run(run["id"])["state"])["type"]
            in ("COMPLETED", "FAILED", "CRASHED")
            and state
        ),
        seconds=120,
        what="the trend watch to end",
    )
    assert final["type"] == "COMPLETED", final
    alert = eventually(lambda: stack.mail_to(LEAD, "climate/environment"), what="the trend alert")
    assert len(alert) == 1 and "重复投诉" in alert[0].subject
    assert "T-2024-000001" in alert[0].part("plain")
    events = eventually(
        lambda: prefect_server.post(
            "/events/filter",
            {"filter": {"event": {"name": ["complaint.trend.breach"]}}, "limit": 20},
        )["events"],
        what="the breach event",
    )
    breach = next(
        e for e in events if e["resource"]["prefect.resource.id"].endswith("climate.environment")
    )
    assert breach["payload"] == {
        "family": "climate",
        "cause_category": "environment",
        "count": 3,
    }
