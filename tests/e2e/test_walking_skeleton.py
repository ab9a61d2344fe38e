"""A complaint runs as a deployed Prefect flow that waits, suspended, for a handler's decision.

Acts as people do: file the complaint over HTTP, read the emails the SMTP server got,
follow the link, post the form, and watch the flow run move on in the Prefect API.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.classification import current_category
from complaints.models import Complaint, Event, Step, utcnow
from tests.support.forms import ours
from tests.support.links import form_guard, step_link
from tests.support.people import complaint_payload
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e
HANDLER = "li.wei@acme.example"  # owns kettles in samples/organization.toml


def _file_and_wait_for_assessment(stack: Stack, server: PrefectServer) -> dict[str, Any]:
    payload = complaint_payload()
    created = stack.file_complaint(payload)
    reference = created["reference"]
    # Runs start in the order complaints arrived; earlier tests may have left a queue.
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    state = server.wait_suspended_at(run_id, "assessment-1")
    handler_mail = eventually(lambda: stack.mail_to(HANDLER, reference), what="handler email")
    return {
        "payload": payload,
        "created": created,
        "run_id": run_id,
        "state": state,
        "link": step_link(handler_mail[0]),
    }


def _snapshot(stack_sessions: sessionmaker[Session], complaint_id: str) -> tuple[Any, ...]:
    with stack_sessions() as session:
        complaint = session.scalars(
            select(Complaint).where(Complaint.id == _uuid(complaint_id))
        ).one()
        steps = session.scalars(select(Step).where(Step.complaint_id == complaint.id)).all()
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.complaint_id == complaint.id)
        )
        return (complaint.stage, complaint.grade, [(s.key, s.status) for s in steps], events)


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


@pytest.mark.sqlite_smoke
def test_ours_path_suspends_resumes_and_repeats_nothing(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    case = _file_and_wait_for_assessment(stack, prefect_server)
    created, run_id, payload = case["created"], case["run_id"], case["payload"]
    reference = created["reference"]
    assert re.fullmatch(r"C-\d{4}-\d{6}", reference)

    # The run is the deployment's, named after the reference, with the complaint id only.
    run = prefect_server.flow_run(run_id)
    assert run["name"] == reference
    assert run["parameters"] == {"complaint_id": created["id"]}
    assert run["deployment_id"] is not None
    # Suspended with no timeout that could fail the complaint, and no process held.
    assert case["state"]["type"] == "PAUSED"
    assert case["state"]["state_details"]["pause_timeout"] is None
    assert eventually(stack.holds_no_run_process, what="no run process") is True

    # Waiting for a person is no error: the suspension is logged, but not at ERROR.
    def logs() -> list[dict[str, Any]]:
        query = {"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200}
        return list(prefect_server.post("/logs/filter", query))

    def suspended() -> list[dict[str, Any]]:
        return [log for log in logs() if log["message"].startswith("Finished in state Suspe")]

    # Logs reach the server in batches: wait for the suspension's.
    assert all(log["level"] < 40 for log in eventually(suspended, what="the suspension log"))
    assert not [log for log in logs() if log["level"] >= 40], [log["message"] for log in logs()]
    # Task runs log only what needs reading (their states show in the UI).
    assert not [log for log in logs() if log["task_run_id"] and log["level"] < 30]

    # The complainant was acknowledged, in their language.
    ack = stack.mail_to(payload["complainant"]["email"], reference)
    assert len(ack) == 1 and "我们已收到您的投诉" in ack[0].subject

    # GET shows the page and changes nothing (mail scanners fetch every link).
    before = _snapshot(stack_sessions, created["id"])
    page = httpx.get(case["link"], timeout=10)
    assert page.status_code == 200 and reference in page.text
    assert "&lt;script&gt;" in page.text and "<script>alert" not in page.text
    assert _snapshot(stack_sessions, created["id"]) == before

    # An incomplete form is refused with messages, and nothing is recorded.
    guard = form_guard(page.text)
    refused = httpx.post(
        case["link"],
        data={"guard": guard, "ours": "no", "valid": "yes", "grade": "complaint"},
        timeout=10,
    )
    assert refused.status_code == 422 and 'class="error"' in refused.text
    # In the handler's language (Li Wei reads Chinese): "explain why it is not ours".
    assert "请向投诉人说明为何不属于我方责任" in refused.text
    # A category the organization file does not define is refused at its field.
    unknown = httpx.post(case["link"], data=ours(guard, category="gremlins"), timeout=10)
    assert unknown.status_code == 422 and "请从列表中选择类别" in unknown.text
    assert _snapshot(stack_sessions, created["id"]) == before

    decided = httpx.post(
        case["link"],
        data=ours(
            guard, grade="major_complaint", category="safety", comment="Seal failure confirmed"
        ),
        timeout=10,
    )
    assert decided.status_code == 200

    # The flow resumes, re-runs from the top, and reaches the containment step.
    prefect_server.wait_suspended_at(run_id, "containment-1")
    with stack_sessions() as session:
        step = session.scalars(
            select(Step).where(
                Step.key == "assessment-1", Step.complaint_id == _uuid(created["id"])
            )
        ).one()
        assert step.decided_by == "li-wei"
        assert step.decision_channel == "email_link"
        assert step.decision is not None
        assert {k: step.decision[k] for k in ("ours", "valid", "grade", "comment")} == {
            "ours": True,
            "valid": True,
            "grade": "major_complaint",
            "comment": "Seal failure confirmed",
        }
        assert step.decision["question"] == "" and step.decision["meeting_minutes"] == 45
        assert step.applied_at is not None
        # Classified for the trend analysis (ISO 10002 8.2), by the handler, as decided.
        assert current_category(session, _uuid(created["id"])) == "safety"
    progress = stack.complaint(created["id"])
    assert progress["stage"] == "containment" and progress["grade"] == "major_complaint"

    # Operators see where it stands in the Prefect UI: tags, the complaint's artifact (a
    # version per step), and the trail's steps as events about the complaint.
    run = prefect_server.flow_run(run_id)
    assert {"stage:containment", "grade:major_complaint", "department:kitchen"} <= set(run["tags"])
    # The suspended state says what it waits for, whose decision and until when.
    assert run["state"]["message"].startswith(f"{reference} waits at containment-1: decision of ")
    assert " due " in run["state"]["message"] and "OVERDUE" not in run["state"]["message"]
    versions = prefect_server.post(
        "/artifacts/filter",
        {
            "artifacts": {"key": {"any_": [f"complaint-{reference.lower()}"]}},
            "sort": "CREATED_DESC",
        },
    )
    # (The SQLite smoke's stack shares this Prefect server, and its first reference.)
    versions = [v for v in versions if v["flow_run_id"] == run_id]
    assert len(versions) >= 2  # at the assessment and at the containment meeting
    latest = versions[0]["data"]
    assert "## Waiting for" in latest and "| containment-1 | li-wei |" in latest
    assert "| assessment-1 |" in latest and "stage:" not in latest
    decided = eventually(
        lambda: [
            e
            for e in prefect_server.post(
                "/events/filter",
                {
                    "filter": {
                        "event": {"name": ["complaint.step.decided"]},
                        "resource": {"id": [f"complaint.{created['id']}"]},
                    },
                    "limit": 10,
                },
            )["events"]
        ],
        what="the decision's event",
    )
    assert {k: decided[0]["payload"][k] for k in ("kind", "key")} == {
        "kind": "assessment",
        "key": "assessment-1",
    }
    assert decided[0]["resource"]["prefect.resource.name"] == reference
    assert any(
        r["prefect.resource.id"] == f"prefect.flow-run.{run_id}" for r in decided[0]["related"]
    )

    # Exactly once: the assessment request, the meeting invitation, the minutes request;
    # the complainant: the acknowledgement and the news that containment has begun.
    eventually(lambda: len(stack.mail_to(HANDLER, reference)) == 3, what="containment emails")
    handler_subjects = sorted(m.subject for m in stack.mail_to(HANDLER, reference))
    assert handler_subjects == sorted(
        [
            f"待评估：投诉 {reference}",
            f"紧急临时措施会议：投诉 {reference}",
            f"待提交临时措施会议纪要：投诉 {reference}",
        ]
    )
    complainant = payload["complainant"]["email"]
    eventually(lambda: len(stack.mail_to(complainant, reference)) == 2, what="status email")

    # Re-posting, a tampered link and an unknown link: a clear 4xx page, nothing changes.
    after = _snapshot(stack_sessions, created["id"])
    again = httpx.post(
        case["link"],
        data={"guard": guard, "ours": "no", "valid": "no", "grade": "grumble", "explanation": "x"},
        timeout=10,
    )
    assert again.status_code == 409 and "Li Wei" in again.text
    tampered = case["link"][:-2] + ("AA" if not case["link"].endswith("AA") else "BB")
    assert httpx.get(tampered, timeout=10).status_code == 404
    assert httpx.post(tampered, data={"guard": guard, "ours": "yes"}, timeout=10).status_code == 404
    assert httpx.get(f"{stack.base_url}/s/unknown-token", timeout=10).status_code == 404
    assert _snapshot(stack_sessions, created["id"]) == after


def test_not_ours_path_explains_and_completes(stack: Stack, prefect_server: PrefectServer) -> None:
    case = _file_and_wait_for_assessment(stack, prefect_server)
    created, run_id, payload = case["created"], case["run_id"], case["payload"]
    reference = created["reference"]
    page = httpx.get(case["link"], timeout=10)
    decided = httpx.post(
        case["link"],
        data={
            "guard": form_guard(page.text),
            "ours": "no",
            "valid": "no",
            "grade": "grumble",
            "explanation": "水渍来自另一台设备。The water came from another appliance.",
        },
        timeout=10,
    )
    assert decided.status_code == 200

    final = eventually(
        lambda: (s := prefect_server.flow_run(run_id)["state"])["type"] == "COMPLETED" and s,
        seconds=90,
        what="run completed",
    )
    assert final["name"] == "Completed"
    progress = stack.complaint(created["id"])
    assert progress["stage"] == "closed" and progress["resolution"] == "not_ours"

    complainant = payload["complainant"]["email"]
    told = eventually(
        lambda: (
            len(stack.mail_to(complainant, reference)) == 2
            and stack.mail_to(complainant, reference)
        ),
        what="explanation email",
    )
    explanation = [m for m in told if "处理结果" in m.subject]
    assert len(explanation) == 1
    assert "The water came from another appliance." in explanation[0].part("plain")
    assert len(stack.mail_to(HANDLER, reference)) == 1  # the assessment request only

    # Personal data never reached Prefect: parameters, name, logs, artifacts, events, input.
    secrets = [payload["complainant"]["name"], complainant, payload["complainant"]["phone"]]
    exposed = everything_prefect_holds(prefect_server, run_id, "Closed: not our problem")
    assert reference in exposed  # the scan does see the run's data
    assert [s for s in secrets if s in exposed] == []


def test_operator_resume_in_the_prefect_ui_is_recorded_with_its_channel(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    case = _file_and_wait_for_assessment(stack, prefect_server)
    run_id, complaint_id = case["run_id"], case["created"]["id"]
    # An answer the form's schema takes but the step's rules refuse ("not ours" without
    # the explanation): recorded, logged, and the run waits at the step again.
    refused = prefect_server.post(
        f"/flow_runs/{run_id}/resume",
        {"run_input": {"ours": False, "valid": True, "grade": "grumble"}},
    )
    assert refused["status"] == "ACCEPT"  # the schema knows no rule across fields

    def refusal() -> list[Event]:
        with stack_sessions() as session:
            return list(
                session.scalars(
                    select(Event).where(
                        Event.complaint_id == _uuid(complaint_id),
                        Event.kind == "step.input_refused",
                    )
                )
            )

    [event] = eventually(refusal, what="the refusal in the trail")
    assert event.data == {"key": "assessment-1", "fields": ["explanation"]}
    again = prefect_server.wait_suspended_at(run_id, "assessment-1")
    assert again["type"] == "PAUSED"
    with stack_sessions() as session:
        open_step = session.scalars(
            select(Step).where(Step.key == "assessment-1", Step.complaint_id == _uuid(complaint_id))
        ).one()
        assert open_step.status == "open" and open_step.decision is None
    # What the Prefect UI's "Resume" form posts for the step's input schema.
    result = prefect_server.post(
        f"/flow_runs/{run_id}/resume",
        {
            "run_input": {
                "ours": True,
                "valid": True,
                "grade": "grumble",
                "meeting_at": (utcnow() + timedelta(hours=3)).isoformat(),
            }
        },
    )
    assert result["status"] == "ACCEPT"
    prefect_server.wait_suspended_at(run_id, "containment-1")
    with stack_sessions() as session:
        step = session.scalars(
            select(Step).where(Step.key == "assessment-1", Step.complaint_id == _uuid(complaint_id))
        ).one()
        assert (step.decided_by, step.decision_channel) == ("operator", "prefect_ui")
        assert step.decision is not None and step.decision["grade"] == "grumble"
    # The handler's link now says who decided, and acts no more.
    page = httpx.get(case["link"], timeout=10)
    assert page.status_code == 409 and "operator" in page.text
