"""Personal data on the real stack: one complainant's two complaints and another's, closed;
the first complainant's export (exactly their records and files), their erasure by an
operator, and then nothing of theirs anywhere we keep things (database, uploads, outbox,
the development mailbox, Prefect), the other's intact, every audit chain sound and showing
the erasure, the reviews' figures unchanged; the retention job on a moved clock."""

from __future__ import annotations

import io
import json
import mailbox
import re
import subprocess
import sys
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Base, Complaint, Event, Review, SignInToken, utcnow
from complaints.organization import load_organization
from complaints.reviews.analysis import analyse
from complaints.reviews.export import review_rows
from complaints.reviews.figures import Filters
from complaints.reviews.periods import between
from complaints.seals import ERASED
from tests.support.inbox import Inbox, post_form
from tests.support.links import step_link
from tests.support.people import complaint_payload
from tests.support.prefect_scan import everything_prefect_holds
from tests.support.stack import PrefectServer, Stack, eventually

pytestmark = pytest.mark.e2e
HANDLER = "li.wei@acme.example"  # owns kettles in samples/organization.toml
LEAD = "zhang.min@acme.example"
_SIGN_IN = re.compile(r"https?://\S+?(/reviews/sign-in/[A-Za-z0-9_-]+)")
_EXPORT = re.compile(r"https?://\S+?(/privacy/export/[A-Za-z0-9_-]+)")


def _pdf(tag: str) -> bytes:
    return f"%PDF-1.7\n% receipt of {tag}\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".encode()


def _close_not_ours(
    stack: Stack, server: PrefectServer, payload: dict[str, Any], *, ask: bool
) -> dict[str, Any]:
    """File a complaint and close it the shortest way: assessed not ours (after a question
    the complainant answers with a file, if ``ask``)."""
    created = stack.file_complaint(payload)
    reference, email = created["reference"], payload["complainant"]["email"]
    inbox = Inbox(stack, reference)
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    server.wait_suspended_at(run_id, "assessment-1")
    assessment = step_link(inbox.next(HANDLER, "待评估")[0])
    case = {
        "id": created["id"],
        "reference": reference,
        "run_id": run_id,
        "status_url": created["status_url"],
    }
    if ask:
        post_form(assessment, {"ours": "ask", "question": "Please send the receipt."})
        server.wait_suspended_at(run_id, "info-request-1")
        answer_link = step_link(inbox.next(email, "关于您的投诉")[0])
        case["answer"] = f"My receipt, {payload['complainant']['name']} {uuid.uuid4().hex[:6]}"
        case["file"] = _pdf(payload["complainant"]["name"])
        answered = post_form(
            answer_link,
            {"answer": case["answer"]},
            files=[("files", ("receipt.pdf", case["file"], "application/pdf"))],
        )
        assert answered.status_code == 200
        assessment = step_link(inbox.next(HANDLER, "待评估")[0])
    decided = post_form(
        assessment,
        {
            "ours": "no",
            "valid": "no",
            "grade": "grumble",
            "explanation": "Another appliance leaked.",
        },
    )
    assert decided.status_code == 200
    eventually(
        lambda: server.flow_run(run_id)["state"]["type"] == "COMPLETED", seconds=120, what="closed"
    )
    return case


def _admin(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = stack.env(COMPLAINTS_MAILBOX_DIR=str(stack.mailbox.store.path))
    return subprocess.run(
        [sys.executable, "-m", "complaints.admin", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _database_text(sessions: sessionmaker[Session]) -> str:
    """Every text column of every table, as one string."""
    with sessions() as session:
        rows = [
            [str(value) for value in row]
            for table in Base.metadata.sorted_tables
            for row in session.execute(select(table)).all()
        ]
    return json.dumps(rows, ensure_ascii=False)


def _files_text(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def _mailbox_text(stack: Stack) -> str:
    return "\n".join(
        m.to + m.subject + m.part("plain") + m.part("html") for m in stack.mailbox.store.messages()
    )


def _signed_in(stack: Stack, sessions: sessionmaker[Session], client: httpx.Client) -> str:
    """Sign the lead in to the reviews area through the emailed link; return the guard.

    The link's email and token are removed afterwards, so a later test signing the lead
    in gets a link of its own at once (one a minute) and finds only that one.
    """

    def links() -> list[tuple[str, str]]:
        return [
            (m.key, found)
            for m in stack.mailbox.store.messages()
            if LEAD in m.to
            for found in _SIGN_IN.findall(m.part("plain"))
        ]

    before = len(links())
    assert client.post("/reviews/sign-in", data={"email": LEAD}).status_code == 200
    key, link = eventually(lambda: len(links()) > before and links()[-1], what="sign-in link")
    assert client.post(link).status_code == 303
    mailbox.Maildir(str(stack.mailbox.store.path), create=False).remove(key)
    with sessions.begin() as session:
        session.execute(delete(SignInToken))
    guard = re.search(r'name="guard" value="([0-9a-f]+)"', client.get("/reviews").text)
    assert guard
    return guard.group(1)


def _review(sessions: sessionmaker[Session], stack: Stack) -> tuple[Any, ...]:
    org = load_organization(stack.organization_file)
    today = utcnow().astimezone(org.zone_of()).date()
    period = between(today - timedelta(days=1), today + timedelta(days=1), org.zone_of())
    with sessions() as session:
        figures = analyse(session, org, period)
        rows = review_rows(session, period, Filters(), org.zone_of())
    return figures, rows


def _exported(stack: Stack, sessions: sessionmaker[Session], reference: str) -> zipfile.ZipFile:
    """A quality lead exports a complainant's data; the link works once (only by POST)."""
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        guard = _signed_in(stack, sessions, client)
        made = client.post("/reviews/privacy/export", data={"guard": guard, "whose": reference})
        assert made.status_code == 200
        found = _EXPORT.search(made.text)
        assert found
        assert client.get(found.group(1)).status_code == 200
        download = client.post(found.group(1))
        assert download.status_code == 200
        assert client.post(found.group(1)).status_code == 404
    return zipfile.ZipFile(io.BytesIO(download.content))


def _check_export(
    archive: zipfile.ZipFile, payload: dict[str, Any], theirs: list[dict[str, Any]], other: str
) -> None:
    """The ZIP holds exactly the complainant's records, answers, files and emails."""
    names = archive.namelist()
    folders = {n.split("/")[1] for n in names if n.startswith("complaints/")}
    assert folders == {c["reference"] for c in theirs}
    person = json.loads(archive.read("complainant.json"))
    assert (person["name"], person["email"]) == (
        payload["complainant"]["name"],
        payload["complainant"]["email"],
    )
    assert [archive.read(n) for n in names if "/files/" in n] == [theirs[0]["file"]]
    record = json.loads(archive.read(f"complaints/{theirs[0]['reference']}/record.json"))
    assert record["your_answers"][0]["decision"]["answer"] == theirs[0]["answer"]
    for case in theirs:  # the emails we sent them: acknowledgement, explanation (question)
        assert sum(f"{case['reference']}/emails/" in n and n.endswith(".txt") for n in names) >= 2
    assert other not in b"".join(archive.read(n) for n in names).decode("utf-8", "replace")


def _personal(payload: dict[str, Any], case: dict[str, Any]) -> list[str]:
    who = payload["complainant"]
    return [who["name"], who["email"], who["phone"], case["answer"]]


def _check_nothing_of_theirs(
    stack: Stack,
    server: PrefectServer,
    sessions: sessionmaker[Session],
    cases: tuple[list[dict[str, Any]], dict[str, Any]],
    texts: tuple[list[str], list[str]],
) -> None:
    """Nothing of the erased complainant in our database, uploads, the development
    mailbox or Prefect; all of the other's is there (but never in Prefect)."""
    (theirs, kept), (gone, still) = cases, texts
    database = _database_text(sessions)
    uploads = _files_text(stack.workdir / "uploads")
    mails = _mailbox_text(stack)
    for text in gone:
        assert text not in database and text.encode() not in uploads and text not in mails
    assert all(text in database for text in still)
    assert still[0].encode() in uploads and still[1] in mails
    with sessions() as session:
        for case, erased in ((theirs[0], True), (theirs[1], True), (kept, False)):
            addresses = session.scalars(
                select(Event.client_addr).where(
                    Event.complaint_id == uuid.UUID(case["id"]), Event.actor == "complainant"
                )
            ).all()
            assert all(a is None for a in addresses) if erased else any(addresses)

    def inputs(run_id: str) -> list[Any]:
        return list(server.post(f"/flow_runs/{run_id}/input/filter", {"prefix": "", "limit": 100}))

    # What Prefect stored of the erased complaints' answers is deleted; the other's stays.
    for case in theirs:
        run_id = case["run_id"]
        eventually(lambda run=run_id: not inputs(run), what="the run's inputs deleted")
    assert inputs(kept["run_id"])
    for case in [*theirs, kept]:
        held = everything_prefect_holds(server, case["run_id"], "Closed: not our problem")
        assert case["reference"] in held
        assert [t for t in gone + still if t in held] == []
    assert httpx.get(theirs[0]["status_url"], timeout=10).status_code == 404
    assert httpx.get(kept["status_url"], timeout=10).status_code == 200


def _check_retention(
    stack: Stack, server: PrefectServer, sessions: sessionmaker[Session], kept: dict[str, Any]
) -> list[str]:
    """Three years on, the other complainant's data goes too; a second run finds nothing
    left; each run leaves an artifact of counts; return the runs."""
    later = utcnow() + timedelta(days=1096)
    runs = [_run_retention(server, later) for _ in range(2)]
    with sessions() as session:
        assert session.get_one(Complaint, uuid.UUID(kept["id"])).complainant_email == ERASED
    first_run, second_run = (_artifact(server, run) for run in runs)
    assert re.search(r"\| complaints \| [1-9]\d* \|", first_run)
    assert "| complaints | 0 |" in second_run and "| files | 0 |" in second_run
    report = eventually(
        lambda: [m for m in stack.mailbox.store.messages() if LEAD in m.to and "RET-" in m.subject],
        what="the retention report",
    )
    assert len(report) == 1  # the second run erased nothing, so it told nothing
    return runs


def test_export_then_erase_one_complainant_leaves_nothing_of_theirs_and_counts_the_same(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    first, other = complaint_payload(), complaint_payload()
    theirs = [
        _close_not_ours(stack, prefect_server, first, ask=True),
        _close_not_ours(stack, prefect_server, first, ask=False),
    ]
    kept = _close_not_ours(stack, prefect_server, other, ask=True)
    review_before = _review(stack_sessions, stack)
    assert {c["reference"] for c in [*theirs, kept]} <= {r[0] for r in review_before[1]}
    gone, still = _personal(first, theirs[0]), _personal(other, kept)

    # 1. A quality lead exports the first complainant's data.
    exported = _exported(stack, stack_sessions, theirs[1]["reference"])
    _check_export(exported, first, theirs, still[1])

    # 2. An operator erases them; nothing of theirs is left anywhere, the other's is.
    email = first["complainant"]["email"]
    erased = _admin(
        stack, "erase", "--email", email, "--reason", "asked by email", "--by", "zhang-min"
    )
    assert erased.returncode == 0 and "2 complaints erased" in erased.stdout, erased.stderr
    _check_nothing_of_theirs(stack, prefect_server, stack_sessions, (theirs, kept), (gone, still))

    # 3. Every chain verifies and shows the erasure; reviews count as before.
    audit = _admin(stack, "verify-audit")
    assert audit.returncode == 0 and " 0 with a broken chain" in audit.stdout, audit.stdout
    for case in theirs:
        erasure = rf"{case['reference']}: \d+ texts erased at event #\d+ on \S+ by zhang-min"
        assert re.search(erasure + ": asked by email", audit.stdout)
    assert kept["reference"] + ":" not in audit.stdout
    assert _review(stack_sessions, stack) == review_before
    # What outlives the record (ISO 10002 8.6 keeps reviews): a review's files and email,
    # and our logs, hold no complainant's name, address or phone, erased or not.
    outliving = _review_run_texts(stack, prefect_server, stack_sessions) + _logs(stack)
    assert [t for t in gone + still if t in outliving] == []

    # 4. Retention, three years on, with nothing personal in its Prefect runs.
    for run in _check_retention(stack, prefect_server, stack_sessions, kept):
        held = everything_prefect_holds(prefect_server, run, "retention:")
        assert [t for t in gone + still if t in held] == []
    audit = _admin(stack, "verify-audit")  # every chain, after retention's erasures too
    assert audit.returncode == 0 and " 0 with a broken chain" in audit.stdout, audit.stdout
    assert re.search(rf"{kept['reference']}: \d+ texts erased .* by system: kept", audit.stdout)


def _review_run_texts(stack: Stack, server: PrefectServer, sessions: sessionmaker[Session]) -> str:
    """Run a review of the days around today; return its files' and email's texts and
    what Prefect holds of its run."""
    org = load_organization(stack.organization_file)
    today = utcnow().astimezone(org.zone_of()).date()
    deployment = server.get("/deployments/name/complaint-review/complaint-review")
    days = {"first_day": str(today - timedelta(days=1)), "last_day": str(today + timedelta(days=1))}
    run = server.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"period": "days", **days, "recipients": ["zhang-min"]}},
    )
    eventually(
        lambda: server.flow_run(run["id"])["state"]["type"] == "COMPLETED",
        seconds=180,
        what="the review run",
    )
    with sessions() as session:
        review = session.scalars(select(Review).where(Review.key == f"flow-run:{run['id']}")).one()
        kept = [
            (f.filename, stack.workdir / "uploads" / f.id.hex[:2] / f.id.hex) for f in review.files
        ]
    texts = [everything_prefect_holds(server, run["id"], "issued")]
    for name, path in kept:
        data = path.read_bytes()
        if name.endswith(".pdf"):
            texts += [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
        elif name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                texts += [book.read(n).decode() for n in book.namelist()]
        elif name.endswith(".csv"):
            texts.append(data.decode("utf-8-sig"))
    [mail] = eventually(lambda: stack.mail_to(LEAD, review.period_label), what="review email")
    assert len(texts) > 3
    return "\n".join([*texts, mail.part("plain"), mail.part("html")])


def _logs(stack: Stack) -> str:
    """The web app's and the worker's logs (the runs' own logs are in Prefect)."""
    logs = {p.name: p.read_text(errors="replace") for p in stack.workdir.glob("*.log")}
    assert {"web.log", "worker.log"} <= set(logs) and all(logs.values())
    return "\n".join(logs.values())


def _run_retention(server: PrefectServer, as_of: Any) -> str:
    deployment = server.get("/deployments/name/privacy-retention/privacy-retention")
    run = server.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        {"parameters": {"as_of": as_of.isoformat()}},
    )
    eventually(
        lambda: server.flow_run(run["id"])["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED"),
        seconds=180,
        what="the retention run",
    )
    assert server.flow_run(run["id"])["state"]["type"] == "COMPLETED"
    return str(run["id"])


def _artifact(server: PrefectServer, run_id: str) -> str:
    found = server.post(
        "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}, "limit": 10}
    )
    [artifact] = [a for a in found if a["key"] == "privacy-retention"]
    return str(artifact["data"])


def test_erasing_an_open_complaint_closes_it_and_cancels_its_waiting_run(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    payload = complaint_payload()
    created = stack.file_complaint(payload)
    run_id = eventually(
        lambda: stack.complaint(created["id"])["flow_run_id"], seconds=240, what="run id"
    )
    prefect_server.wait_suspended_at(run_id, "assessment-1")
    email = payload["complainant"]["email"]
    refused = _admin(stack, "erase", "--email", email, "--reason", "asked")
    assert refused.returncode == 2 and created["reference"] in refused.stderr
    erased = _admin(stack, "erase", "--email", email, "--reason", "asked", "--close")
    assert erased.returncode == 0, erased.stderr
    state = eventually(
        lambda: (s := prefect_server.flow_run(run_id)["state"])["type"] == "CANCELLED" and s,
        seconds=60,
        what="the run cancelled",
    )
    assert "personal data" in state["message"]

    def cancelled() -> Complaint | None:
        with stack_sessions() as session:
            held = session.get_one(Complaint, uuid.UUID(created["id"]))
            return held if held.run_status.value == "forgotten" else None

    complaint = eventually(cancelled, what="the cancellation recorded")
    progress = stack.complaint(created["id"])
    assert (progress["stage"], progress["resolution"]) == ("closed", "withdrawn")
    audit = _admin(stack, "verify-audit", created["reference"])
    assert audit.returncode == 0 and "texts erased" in audit.stdout
    assert complaint.complainant_email == ERASED
