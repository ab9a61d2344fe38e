"""The reviews area in-process: quality leads sign in by an emailed single-use link, the
session is a signed HttpOnly SameSite cookie, forms are guarded, and bad input is named
at its field in the page's language. Schedules live on the session's real Prefect server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import delete, func, select

from complaints import repository
from complaints.classification import classify, current_category
from complaints.intake import service
from complaints.intake.schemas import ComplaintIn
from complaints.models import OutboxMessage, ShippedVolume, SignInToken
from complaints.organization import load_organization
from complaints.settings import PROJECT_DIR
from tests.support.people import complaint_payload
from tests.support.stack import PrefectServer
from tests.web.conftest import WebApp

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
LEAD = "zhang.min@acme.example"  # the sample organization's quality lead (zh-CN)
_LINK = re.compile(r"https?://\S+/reviews/sign-in/[A-Za-z0-9_-]+")


@pytest.fixture
def area(make_web: Callable[..., WebApp], prefect_server: PrefectServer) -> Iterator[WebApp]:
    """The web app with its Prefect adapter on the session's Prefect server."""
    web = make_web()
    with web.sessions.begin() as session:  # each test asks for its own link
        session.execute(delete(SignInToken))
    with temporary_settings({PREFECT_API_URL: prefect_server.api_url}):
        yield web


def _links(web: WebApp) -> list[str]:
    with web.sessions() as session:
        bodies = session.scalars(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.kind == "sign_in", OutboxMessage.recipient == LEAD)
            .order_by(OutboxMessage.created_at)
        ).all()
    return [link for body in bodies for link in _LINK.findall(body)]


def _signed_in(web: WebApp, client: httpx.Client) -> str:
    """Sign the lead in through the emailed link; return the page's form guard."""
    assert client.post("/reviews/sign-in", data={"email": LEAD.upper()}).status_code == 200
    link = _links(web)[-1].removeprefix(web.settings.public_url)
    assert client.get(link).status_code == 200
    signed = client.post(link)
    assert signed.status_code == 303 and signed.headers["location"] == "/reviews"
    page = client.get("/reviews")
    assert page.status_code == 200
    found = re.search(r'name="guard" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def test_only_a_quality_lead_gets_a_link_and_nobody_learns_who_is_one(area: WebApp) -> None:
    with area.client() as client:
        stranger = client.post("/reviews/sign-in", data={"email": "li.wei@acme.example"})
        lead = client.post("/reviews/sign-in", data={"email": LEAD})
        again = client.post("/reviews/sign-in", data={"email": LEAD})
    assert stranger.status_code == lead.status_code == again.status_code == 200
    assert stranger.text == lead.text  # the same answer for a handler and a lead
    assert len(_links(area)) >= 1
    with area.sessions() as session:
        tokens = session.scalar(select(func.count()).select_from(SignInToken))
    assert tokens == 1  # one link a minute, however often it is asked for


def test_the_link_works_once_and_opens_a_strict_http_only_session(area: WebApp) -> None:
    with area.client() as client:
        client.post("/reviews/sign-in", data={"email": LEAD})
        link = _links(area)[-1].removeprefix(area.settings.public_url)
        # Opening the link (as a mail scanner does) signs nobody in.
        assert "complaints_reviews" not in client.get(link).headers.get("set-cookie", "")
        signed = client.post(link)
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/reviews" in cookie
        assert client.post(link).status_code == 404  # used up
        page = client.get("/reviews")
    assert page.status_code == 200 and "Zhang Min" in page.text
    assert "投诉评审" in page.text  # the lead's own language


def test_without_a_session_or_its_guard_nothing_changes(area: WebApp) -> None:
    with area.client() as outsider:
        refused = outsider.post("/reviews/run", data={"period": "month"})
    forger = area.client(cookies={"complaints_reviews": "zhang-min.9999999999.x"})
    with forger:
        forged = forger.get("/reviews")
    assert refused.status_code == 401 and 'action="/reviews/sign-in"' in refused.text
    assert 'action="/reviews/sign-in"' in forged.text  # a forged cookie opens nothing
    with area.client() as client:
        _signed_in(area, client)
        unguarded = client.post("/reviews/schedules", data={"period": "month"})
    assert unguarded.status_code == 403


def _schedule_form(guard: str, **fields: Any) -> dict[str, Any]:
    return {
        "guard": guard,
        "period": "month",
        "day": "1",
        "time": "08:00",
        "timezone": "Asia/Shanghai",
        "recipients": ["zhang-min"],
        "active": "yes",
        **fields,
    }


def test_bad_schedule_input_is_named_at_its_field_in_the_leads_language(area: WebApp) -> None:
    with area.client() as client:
        guard = _signed_in(area, client)
        before = client.get("/reviews").text.count('class="schedule"')
        cron = client.post("/reviews/schedules", data=_schedule_form(guard, cron="61 8 * * *"))
        zone = client.post("/reviews/schedules", data=_schedule_form(guard, timezone="Mars/Base"))
        person = client.post(
            "/reviews/schedules", data=_schedule_form(guard, recipients=["nobody"])
        )
        day = client.post("/reviews/schedules", data=_schedule_form(guard, day="31"))
        after = client.get("/reviews").text.count('class="schedule"')
    assert [r.status_code for r in (cron, zone, person, day)] == [422] * 4
    assert "不是 Prefect 可用的 cron 表达式" in cron.text
    assert "未知时区" in zone.text and 'value="Mars/Base"' in zone.text  # the input is kept
    assert "不在组织文件中： nobody" in person.text
    assert "请输入 1 到 28 之间的日期" in day.text
    assert after == before  # nothing was created


def test_a_schedule_is_a_prefect_deployment_schedule_with_its_next_runs(
    area: WebApp, prefect_server: PrefectServer
) -> None:
    deployment = prefect_server.get("/deployments/name/complaint-review/complaint-review")
    with area.client() as client:
        guard = _signed_in(area, client)
        created = client.post(
            "/reviews/schedules",
            data=_schedule_form(
                guard,
                period="quarter",
                day="2",
                time="07:30",
                recipients=["tom-hughes"],
                product_family="kitchen",
                active="",
            ),
        )
        assert created.status_code == 303
        page = client.get("/reviews").text
        schedules = prefect_server.get(f"/deployments/{deployment['id']}/schedules")
        mine = [s for s in schedules if s["parameters"].get("product_family") == "kitchen"]
        assert len(mine) == 1
        schedule = mine[0]
        assert schedule["schedule"]["cron"] == "30 7 2 1,4,7,10 *"
        assert schedule["schedule"]["timezone"] == "Asia/Shanghai"
        assert schedule["active"] is False and schedule["slug"].startswith("review-")
        assert schedule["parameters"] == {
            "period": "quarter",
            "recipients": ["tom-hughes"],
            "product_family": "kitchen",
        }
        # The page lists its next five runs, in its zone (the 2nd of a quarter's month).
        block = page.split(f'id="schedule-{schedule["id"]}"')[1].split("</ol>")[0]
        assert block.count("<li>") == 5 and "07:30" in block and "02日" in block
        # Resumed, then deleted: Prefect holds what the page shows.
        resumed = client.post(
            f"/reviews/schedules/{schedule['id']}/active", data={"guard": guard, "active": "yes"}
        )
        assert resumed.status_code == 303
        current = prefect_server.get(f"/deployments/{deployment['id']}/schedules")
        assert next(s for s in current if s["id"] == schedule["id"])["active"] is True
        deleted = client.post(f"/reviews/schedules/{schedule['id']}/delete", data={"guard": guard})
        assert deleted.status_code == 303
    remaining = prefect_server.get(f"/deployments/{deployment['id']}/schedules")
    assert all(s["id"] != schedule["id"] for s in remaining)


def test_a_lead_corrects_a_category_and_bad_input_changes_nothing(area: WebApp) -> None:
    with area.sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG)
        reference = complaint.reference
        classify(session, complaint.id, "product-defect", by="li-wei")
    with area.client() as client:
        guard = _signed_in(area, client)
        unknown = client.post(
            "/reviews/classify",
            data={
                "guard": guard,
                "reference": "C-1999-000001",
                "category": "safety",
                "reason": "x",
            },
        )
        no_reason = client.post(
            "/reviews/classify",
            data={"guard": guard, "reference": reference, "category": "safety", "reason": " "},
        )
        assert current_category_of(area, complaint.id) == "product-defect"
        done = client.post(
            "/reviews/classify",
            data={
                "guard": guard,
                "reference": reference.lower(),
                "category": "safety",
                "reason": "burns reported",
            },
        )
    assert unknown.status_code == no_reason.status_code == 422
    assert "没有此编号的投诉" in unknown.text and "请说明更改类别的原因" in no_reason.text
    assert done.status_code == 303 and done.headers["location"] == "/reviews?done=classified"
    assert current_category_of(area, complaint.id) == "safety"
    with area.sessions() as session:
        trail = repository.events_of(session, complaint.id)
    corrected = trail[-1]
    assert corrected.kind == "complaint.classified" and corrected.actor == "zhang-min"
    assert corrected.data == {"category": "safety", "reason": "burns reported"}


def test_a_lead_corrects_a_category_to_one_of_its_sub_categories(area: WebApp) -> None:
    with area.sessions.begin() as session:
        complaint = service.file_complaint(session, ComplaintIn(**complaint_payload()), ORG)
        reference = complaint.reference
        classify(session, complaint.id, "product-defect", by="li-wei")
    with area.client() as client:
        guard = _signed_in(area, client)
        page = client.get("/reviews").text
        unknown = client.post(
            "/reviews/classify",
            data={
                "guard": guard,
                "reference": reference,
                "category": "product-defect/rust",
                "reason": "x",
            },
        )
        done = client.post(
            "/reviews/classify",
            data={
                "guard": guard,
                "reference": reference,
                "category": "product-defect/electrical",
                "reason": "the heating element failed",
            },
        )
    assert '<option value="product-defect/electrical" >电气故障</option>' in page
    assert unknown.status_code == 422 and done.status_code == 303
    assert current_category_of(area, complaint.id) == "product-defect/electrical"


def current_category_of(web: WebApp, complaint_id: Any) -> str | None:
    with web.sessions() as session:
        return current_category(session, complaint_id)


def test_a_lead_uploads_units_shipped_and_a_bad_file_is_named_by_its_lines(area: WebApp) -> None:
    good = b"product_family,month,units\nkitchen,2025-03,40000\nclimate,2025-03,12000\n"
    bad = b"product_family,month,units\nkitchen,2025-3,10\nboats,2025-03,1\n"
    with area.client() as client:
        guard = _signed_in(area, client)
        refused = client.post(
            "/reviews/volumes",
            data={"guard": guard},
            files={"volumes": ("volumes.csv", bad, "text/csv")},
        )
        empty = client.post("/reviews/volumes", data={"guard": guard})
        unguarded = client.post(
            "/reviews/volumes", files={"volumes": ("volumes.csv", good, "text/csv")}
        )
        with area.sessions() as session:
            assert session.scalar(select(func.count()).select_from(ShippedVolume)) == 0
        kept = client.post(
            "/reviews/volumes",
            data={"guard": guard},
            files={"volumes": ("volumes.csv", good, "text/csv")},
        )
        page = client.get("/reviews?done=volumes").text
    # The lead reads Chinese: each problem at its line, in the page's language.
    assert refused.status_code == 422
    assert "第 2 行：月份格式应为 YYYY-MM" in refused.text
    assert "第 3 行：不是组织文件中的产品系列" in refused.text
    assert empty.status_code == 422 and "请选择 CSV 文件" in empty.text
    assert unguarded.status_code == 403
    assert kept.status_code == 303 and kept.headers["location"] == "/reviews?done=volumes"
    assert "已保存：2 个系列月份，最近为 2025-03。" in page
    with area.sessions() as session:
        rows = session.scalars(select(ShippedVolume).order_by(ShippedVolume.product_family)).all()
    assert [(r.product_family, r.units, r.recorded_by) for r in rows] == [
        ("climate", 12000, "zhang-min"),
        ("kitchen", 40000, "zhang-min"),
    ]
