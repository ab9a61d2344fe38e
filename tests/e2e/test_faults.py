"""Fault tests: real servers, broken on purpose. Each prints its figure."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from complaints.models import Complaint, Event, LinkToken, OutboxMessage, Step, utcnow
from devtools.mailbox import StoredMessage
from tests.support.forms import local_input, ours
from tests.support.inbox import post_form
from tests.support.links import form_guard, step_link
from tests.support.people import complaint_payload
from tests.support.processes import flow_run_processes, stop
from tests.support.stack import PrefectServer, Stack, eventually, run_deadline_watch

pytestmark = pytest.mark.e2e
HANDLER = "li.wei@acme.example"
URL = re.compile(r"https?://[^\s\"'<>]+")


def _state(sessions: sessionmaker[Session], ids: list[uuid.UUID]) -> tuple[Any, ...]:
    """Everything a click could change about these complaints, as comparable values."""
    with sessions() as session:
        complaints = session.execute(
            select(Complaint.id, Complaint.stage, Complaint.grade, Complaint.closed_at).where(
                Complaint.id.in_(ids)
            )
        ).all()
        steps = session.execute(
            select(Step.id, Step.status, Step.decided_at).where(Step.complaint_id.in_(ids))
        ).all()
        tokens = session.execute(
            select(LinkToken.id, LinkToken.revoked_at)
            .join(Step, Step.id == LinkToken.step_id)
            .where(Step.complaint_id.in_(ids))
        ).all()
        events = session.scalar(
            select(func.count()).select_from(Event).where(Event.complaint_id.in_(ids))
        )
        mail = session.execute(
            select(OutboxMessage.id, OutboxMessage.status).where(
                OutboxMessage.complaint_id.in_(ids)
            )
        ).all()
    return (*(sorted(map(tuple, rows)) for rows in (complaints, steps, tokens, mail)), events)


def _mail_about(stack: Stack, cases: list[dict[str, Any]]) -> list[StoredMessage]:
    return [
        m for m in stack.mailbox.store.messages() if any(c["reference"] in m.subject for c in cases)
    ]


def _file_many(stack: Stack, server: PrefectServer, count: int) -> list[dict[str, Any]]:
    cases = [stack.file_complaint(complaint_payload()) for _ in range(count)]
    for case in cases:
        case["run_id"] = eventually(
            lambda c=case: stack.complaint(c["id"])["flow_run_id"], seconds=120, what="run"
        )
    for case in cases:
        server.wait_suspended_at(case["run_id"], "assessment-1")
    return cases


def test_link_scanner_fetching_every_link_changes_nothing(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    cases = _file_many(stack, prefect_server, 3)
    ids = [uuid.UUID(c["id"]) for c in cases]
    eventually(
        lambda: all(status == "sent" for _id, status in _state(stack_sessions, ids)[3]),
        what="their mail delivered",
    )
    mine = eventually(
        lambda: len(found := _mail_about(stack, cases)) == 6 and found, what="their six emails"
    )
    before = _state(stack_sessions, ids)
    links = {
        u
        for m in mine
        for u in URL.findall(m.part("plain") + m.part("html"))
        if u.startswith(stack.base_url)
    }
    statuses = Counter(httpx.get(link, timeout=10).status_code for link in sorted(links))
    time.sleep(2)  # give any (wrong) background reaction time to show
    after = _state(stack_sessions, ids)
    print(
        f"\nlink scanner: {len(links)} links fetched {dict(statuses)}, "
        f"{0 if before == after else 'SOME'} state changes"
    )
    assert len(links) >= 6
    assert before == after


def test_replayed_expired_tampered_and_cross_complaint_tokens_are_refused(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    cases = _file_many(stack, prefect_server, 3)
    links = {}
    for case in cases:
        mail = eventually(lambda c=case: stack.mail_to(HANDLER, c["reference"]), what="mail")
        links[case["id"]] = step_link(mail[0])
    first, second, third = (links[c["id"]] for c in cases)
    attempts: dict[str, int] = {}

    # Replayed: the first post decides, the same request again is refused.
    first_guard = form_guard(httpx.get(first, timeout=10).text)
    assert _decide_assessment_raw(first, first_guard) == 200
    attempts["replayed"] = _decide_assessment_raw(first, first_guard)
    guard = form_guard(httpx.get(second, timeout=10).text)

    # Cross-complaint: the second complaint's form guard on the third complaint's link.
    cross = httpx.post(
        third,
        data=ours(guard),
        timeout=10,
    )
    attempts["cross-complaint"] = cross.status_code

    # Tampered: one character changed.
    tampered = third[:-1] + ("A" if third[-1] != "A" else "B")
    attempts["tampered"] = _decide_assessment_raw(tampered, form_guard(httpx.get(third).text))

    # Expired: the third link's time has run out.
    third_id = uuid.UUID(cases[2]["id"])
    with stack_sessions.begin() as session:
        step_ids = select(Step.id).where(Step.complaint_id == third_id)
        session.execute(
            update(LinkToken)
            .where(LinkToken.step_id.in_(step_ids))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    attempts["expired-get"] = httpx.get(third, timeout=10).status_code
    attempts["expired-post"] = _decide_assessment_raw(third, guard)

    # Forged from another site.
    forged = httpx.post(
        second,
        data=ours(guard),
        headers={"Origin": "https://evil.example"},
        timeout=10,
    )
    attempts["cross-site"] = forged.status_code

    print(f"\ntokens: {attempts}; accepted: {sum(1 for code in attempts.values() if code < 400)}")
    assert attempts == {
        "replayed": 409,
        "cross-complaint": 404,
        "tampered": 404,
        "expired-get": 404,
        "expired-post": 404,
        "cross-site": 403,
    }
    with stack_sessions() as session:
        decided = session.scalars(
            select(Step).where(
                Step.complaint_id.in_([uuid.UUID(c["id"]) for c in cases]),
                Step.decided_at.is_not(None),
            )
        ).all()
    assert [s.complaint_id for s in decided] == [uuid.UUID(cases[0]["id"])]
    assert decided[0].decision is not None and decided[0].decision["ours"] is True


def _decide_assessment_raw(link: str, guard: str) -> int:
    return httpx.post(link, data=ours(guard), timeout=10).status_code


def test_smtp_outage_while_complaints_are_filed_loses_and_repeats_no_email(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    # Ten prove the promise; `make bench` (bench/smtp_outage.py) measures fifty.
    count = 10
    stack.mailbox.stop()
    try:
        cases = [stack.file_complaint(complaint_payload()) for _ in range(count)]
        ids = [uuid.UUID(c["id"]) for c in cases]

        def queued() -> int:
            with stack_sessions() as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.complaint_id.in_(ids))
                    )
                    or 0
                )

        # Every run acknowledges and asks for the assessment while no mail can leave.
        eventually(lambda: queued() == 2 * count, seconds=600, what="all mail queued")
        with stack_sessions() as session:
            waiting = int(
                session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.complaint_id.in_(ids), OutboxMessage.sent_at.is_(None))
                )
                or 0
            )
        assert waiting == 2 * count
    finally:
        stack.mailbox.start()
    eventually(lambda: stack.health()["mail_pending"] == 0, seconds=180, what="mail delivered")
    copies = Counter(
        (m.to, ref)
        for m in stack.mailbox.store.messages()
        for ref in [c["reference"] for c in cases]
        if ref in m.subject
    )
    expected = {(f"{c['payload_name']} <{c['payload_email']}>", c["reference"]) for c in cases}
    print(
        f"\nSMTP outage: {count} complaints filed while it was down, {waiting} emails waited, "
        f"{sum(copies.values())} delivered after restart, "
        f"{sum(n - 1 for n in copies.values())} duplicates"
    )
    assert sum(copies.values()) == 2 * count
    assert set(copies.values()) == {1}
    assert expected <= set(copies)


def _links(stack: Stack, cases: list[dict[str, Any]]) -> list[str]:
    return [
        step_link(eventually(lambda c=c: stack.mail_to(HANDLER, c["reference"]), what="mail")[0])
        for c in cases
    ]


def _crash_and_see_it_started_again(server: PrefectServer, run_id: str) -> None:
    """Crash a run (as a lost worker or a server hiccup would) and wait until the web
    app's loop has started it again."""
    server.post(
        f"/flow_runs/{run_id}/set_state",
        {"state": {"type": "CRASHED", "name": "Crashed"}, "force": True},
    )
    eventually(
        lambda: server.flow_run(run_id)["run_count"] >= 2 or None,
        seconds=120,
        what="run started again",
    )


def _events(sessions: sessionmaker[Session], complaint_id: str, kind: str) -> list[Event]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Event).where(
                    Event.complaint_id == uuid.UUID(complaint_id), Event.kind == kind
                )
            )
        )


def test_prefect_restart_while_decisions_are_posted_applies_each_once(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    cases = _file_many(stack, prefect_server, 5)
    links = _links(stack, cases)
    guards = [form_guard(httpx.get(link, timeout=10).text) for link in links]
    prefect_server.stop()
    try:
        codes = [
            _decide_assessment_raw(link, guard) for link, guard in zip(links, guards, strict=True)
        ]
        time.sleep(3)  # the web app keeps failing to reach Prefect meanwhile
        waiting = _not_applied(stack_sessions, cases)
    finally:
        prefect_server.launch()
    for case in cases:
        prefect_server.wait_suspended_at(case["run_id"], "containment-1")
    resumed = [_resumed_count(prefect_server, c["run_id"]) for c in cases]
    decided = [len(_events(stack_sessions, c["id"], "step.decided")) for c in cases]
    eventually(
        lambda: all(len(stack.mail_to(HANDLER, c["reference"])) == 3 for c in cases),
        what="meeting invitations and minutes requests",
    )
    print(
        f"\nPrefect restart: {len(cases)} decisions posted while it was down (HTTP {codes}), "
        f"{waiting} waited, decisions recorded {decided}, runs resumed {resumed}"
    )
    assert codes == [200] * len(cases) and waiting == len(cases)
    assert decided == [1] * len(cases) and resumed == [1] * len(cases)
    assert _not_applied(stack_sessions, cases) == 0


def _not_applied(sessions: sessionmaker[Session], cases: list[dict[str, Any]]) -> int:
    ids = [uuid.UUID(c["id"]) for c in cases]
    with sessions() as session:
        query = (
            select(func.count())
            .select_from(Step)
            .where(
                Step.complaint_id.in_(ids), Step.decided_at.is_not(None), Step.applied_at.is_(None)
            )
        )
        return int(session.scalar(query) or 0)


def _resumed_count(server: PrefectServer, run_id: str) -> int:
    states = httpx.get(
        f"{server.api_url}/flow_run_states/", params={"flow_run_id": run_id}, timeout=10
    ).json()
    return sum(1 for state in states if state["name"] == "Resuming")


def test_worker_killed_during_a_step_completes_it_on_the_next_attempt(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    case = _file_many(stack, prefect_server, 1)[0]
    link = _links(stack, [case])[0]
    guard = form_guard(httpx.get(link, timeout=10).text)
    handler = stack.mailbox.handler
    handler.slow_rcpt_seen.clear()
    handler.slow_recipient = HANDLER
    handler.rcpt_delay = 30.0  # the step's email to the handler hangs: the run is mid-step
    try:
        assert _decide_assessment_raw(link, guard) == 200
        assert handler.slow_rcpt_seen.wait(timeout=120), "the step never reached its email"
        state = prefect_server.flow_run(case["run_id"])["state"]["type"]
        assert stack.worker is not None
        # SIGKILL the worker and the run it executes, as if the machine died. Prefect
        # starts each run in a session of its own, so the run's process is killed too.
        runs = flow_run_processes(stack.worker.pid)
        assert runs, "the run executes in a child of the worker"
        for pid in runs:
            os.kill(pid, signal.SIGKILL)
        stop(stack.worker, hard=True)
    finally:
        handler.rcpt_delay = 0.0
    stack.start_worker()
    prefect_server.wait_suspended_at(case["run_id"], "containment-1")  # the step completed
    mail = eventually(
        lambda: (
            len(stack.mail_to(HANDLER, case["reference"])) == 3
            and stack.mail_to(HANDLER, case["reference"])
        ),
        seconds=120,
        what="mail",
    )
    restarts = _events(stack_sessions, case["id"], "run.restarted")
    opened = _events(stack_sessions, case["id"], "step.opened")
    decided = _events(stack_sessions, case["id"], "step.decided")
    print(
        f"\nworker killed while the run was {state}: restarted {len(restarts)}x, "
        f"steps opened {len(opened)}, decisions {len(decided)}, handler emails {len(mail)}"
    )
    assert state == "RUNNING" and len(restarts) == 1
    assert len(opened) == 2 and len(decided) == 1  # assessment and containment, once each
    # The assessment request, the meeting invitation, the minutes request: once each.
    assert sorted(m.subject[:3] for m in mail) == sorted(["待评估", "紧急临", "待提交"])


def _alive(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_run_started_again_while_its_old_process_lives_ends_at_the_right_step(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    """The stranding sequence: a run is mid-step when its process stops answering (a
    stalled server, a frozen machine), so the web app takes it for dead and starts it
    again; the new execution replays and waits at the next step; then the old process
    wakes and goes on. It must neither act (no second email, no second decision) nor
    overwrite the new execution's state: the complaint waits at the right step, and
    moves on when that step is decided."""
    case = _file_many(stack, prefect_server, 1)[0]
    run_id = case["run_id"]
    link = _links(stack, [case])[0]
    guard = form_guard(httpx.get(link, timeout=10).text)
    handler = stack.mailbox.handler
    handler.slow_rcpt_seen.clear()
    handler.slow_recipient = HANDLER
    handler.rcpt_delay = 5.0  # the meeting invitation hangs: the run is mid-step
    assert stack.worker is not None
    try:
        assert _decide_assessment_raw(link, guard) == 200
        assert handler.slow_rcpt_seen.wait(timeout=120), "the step never reached its email"
        old = flow_run_processes(stack.worker.pid)
        assert old, "the run executes in a process of its own"
        for pid in old:
            os.kill(pid, signal.SIGSTOP)  # no heartbeat, no state change, nothing
    finally:
        handler.rcpt_delay = 0.0
    try:
        # Taken for dead after COMPLAINTS_RUN_STALL_SECONDS, started again, replayed.
        waiting = prefect_server.wait_suspended_at(run_id, "containment-1", seconds=180)
    finally:
        for pid in old:
            os.kill(pid, signal.SIGCONT)  # the old process wakes and goes on
    eventually(
        lambda: not any(_alive(pid) for pid in old), seconds=60, what="the old process to stop"
    )
    time.sleep(2)  # anything it still sent Prefect would have arrived by now
    after = prefect_server.flow_run(run_id)["state"]
    restarts = _events(stack_sessions, case["id"], "run.restarted")
    mail = stack.mail_to(HANDLER, case["reference"])
    print(
        f"\nrun started again while its old process lived: restarted {len(restarts)}x, "
        f"state kept {after['id'] == waiting['id']}, handler emails {len(mail)}"
    )
    assert after["id"] == waiting["id"]  # the old process changed nothing in Prefect
    log = (stack.workdir / "worker.log").read_text()
    for pid in old:  # it stopped at its first step after waking: the fence
        assert f"its execution in process {pid} stops" in log
    assert len(restarts) == 1
    assert len(_events(stack_sessions, case["id"], "step.decided")) == 1
    eventually(lambda: len(stack.mail_to(HANDLER, case["reference"])) == 3, what="mail")
    # The assessment request, the meeting invitation, the minutes request: once each.
    mail = stack.mail_to(HANDLER, case["reference"])
    assert sorted(m.subject[:3] for m in mail) == sorted(["待评估", "紧急临", "待提交"])
    # The complaint goes on from where the new execution waits.
    minutes = step_link(next(m for m in mail if m.subject.startswith("待提交")))
    due = local_input(utcnow() + timedelta(days=1))
    form = {
        "summary": "Seal batch problem",
        "measure-0-type": "exchange",
        "measure-0-description": "A new kettle for the complainant",
        "measure-0-owner": "li-wei",
        "measure-0-due_at": due,
        "analysis-analyst": "wang-jun",
        "analysis-due_at": local_input(utcnow() + timedelta(days=5)),
        "analysis-scope": "Seal supplier batch",
        "analysis-method": "5-Why",
    }
    assert post_form(minutes, form).status_code == 200
    prefect_server.wait_suspended_at(run_id, "measure-1")


def _worker_of(server: PrefectServer, run_id: str) -> str:
    """Return the name of the worker that last submitted a run (Prefect labels it)."""
    return str(server.flow_run(run_id)["labels"]["prefect.worker.name"])


def test_two_warm_workers_share_the_pool_and_one_killed_mid_step_loses_nothing(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    """Scale-out on Prefect: two warm workers on one pool (each taking two runs at a
    time) both execute runs; one is killed with a run mid-step, and that run finishes
    on the other, with nothing doubled."""
    assert stack.worker is not None
    stop(stack.worker)  # the pool is the two workers' alone for this test
    workers = [stack.start_another_worker(f"worker-{n}", "--limit", "2") for n in (1, 2)]
    handler = stack.mailbox.handler
    try:
        cases = _file_many(stack, prefect_server, 6)
        first_executions = Counter(_worker_of(prefect_server, c["run_id"]) for c in cases)
        case = cases[0]
        link = _links(stack, [case])[0]
        guard = form_guard(httpx.get(link, timeout=10).text)
        handler.slow_rcpt_seen.clear()
        handler.slow_recipient = HANDLER
        handler.rcpt_delay = 30.0  # the step's email hangs: the run is mid-step
        try:
            assert _decide_assessment_raw(link, guard) == 200
            assert handler.slow_rcpt_seen.wait(timeout=120), "the step never reached its email"
            killed_name = _worker_of(prefect_server, case["run_id"])
            owner = next(w for w in workers if flow_run_processes(w.pid))
            for pid in flow_run_processes(owner.pid):
                os.kill(pid, signal.SIGKILL)
            stop(owner, hard=True)  # the machine died: the worker and its runs
        finally:
            handler.rcpt_delay = 0.0
        # Taken for dead after COMPLAINTS_RUN_STALL_SECONDS, started on the survivor.
        prefect_server.wait_suspended_at(case["run_id"], "containment-1", seconds=180)
        finished_on = _worker_of(prefect_server, case["run_id"])
        mail = eventually(
            lambda: (
                len(stack.mail_to(HANDLER, case["reference"])) == 3
                and stack.mail_to(HANDLER, case["reference"])
            ),
            what="mail",
        )
        decided = _events(stack_sessions, case["id"], "step.decided")
        print(
            f"\ntwo warm workers: first executions {sorted(first_executions.values())}, "
            f"the killed one's run finished on the other {finished_on != killed_name}, "
            f"handler emails {len(mail)}"
        )
        assert len(first_executions) == 2  # runs spread over both workers
        assert finished_on != killed_name
        assert len(decided) == 1
        assert sorted(m.subject[:3] for m in mail) == sorted(["待评估", "紧急临", "待提交"])
    finally:
        for worker in workers:
            stop(worker)
        stack.start_worker()


def test_a_run_taken_for_dead_while_it_waits_waits_again_at_the_same_step(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    """A busy Prefect server can make a waiting run look dead (no heartbeat) or crash it
    just after it suspended. Started again, it must wait at the step nobody answered,
    not fail for want of an answer Prefect never had."""
    case = _file_many(stack, prefect_server, 1)[0]
    run_id = case["run_id"]
    # The web app's loop starts it again; it runs from the top and suspends where it was.
    _crash_and_see_it_started_again(prefect_server, run_id)
    prefect_server.wait_suspended_at(run_id, "assessment-1")
    link = _links(stack, [case])[0]
    assert _decide_assessment_raw(link, form_guard(httpx.get(link, timeout=10).text)) == 200
    prefect_server.wait_suspended_at(run_id, "containment-1")
    restarts = _events(stack_sessions, case["id"], "run.restarted")
    failed = prefect_server.flow_run(run_id)["state"]["type"] == "FAILED"
    print(f"\nrun crashed while waiting: restarted {len(restarts)}x, failed {failed}")
    # A busy server may make the restarted run look dead once more; each restart is safe.
    assert len(restarts) >= 1 and not failed
    assert len(_events(stack_sessions, case["id"], "step.decided")) == 1
    assert len(stack.mail_to(HANDLER, case["reference"])) == 3  # nothing sent twice


def test_a_run_whose_prefect_memory_was_reset_never_waits_again_at_a_decided_step(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    """Our record, not Prefect's, says what was decided.

    A run that leaves a terminal state has its pause keys reset by Prefect: a replay that
    trusted them would suspend afresh at a step decided long before, where nothing ever
    resumes it. Here Prefect forgets everything of the run's suspensions, the run crashes
    and is started again: it must wait at the open step, not at the decided one.
    """
    case = _file_many(stack, prefect_server, 1)[0]
    run_id = case["run_id"]
    link = _links(stack, [case])[0]
    assert _decide_assessment_raw(link, form_guard(httpx.get(link, timeout=10).text)) == 200
    prefect_server.wait_suspended_at(run_id, "containment-1")
    run = prefect_server.flow_run(run_id)
    assert "assessment-1" in run["empirical_policy"]["pause_keys"]
    inputs = prefect_server.post(
        f"/flow_runs/{run_id}/input/filter", {"prefix": "suspended-", "limit": 100}
    )
    for stored in inputs:
        prefect_server.delete(f"/flow_runs/{run_id}/input/{stored['key']}")
    policy = {**run["empirical_policy"], "pause_keys": []}
    prefect_server.patch(f"/flow_runs/{run_id}", {"empirical_policy": policy})
    _crash_and_see_it_started_again(prefect_server, run_id)
    state = prefect_server.wait_suspended_at(run_id, "containment-1")
    keys = prefect_server.flow_run(run_id)["empirical_policy"]["pause_keys"]
    print(f"\nrun started again with Prefect's memory reset: waits at {sorted(keys)}")
    assert state["state_details"]["pause_key"] == "containment-1"
    assert "assessment-1" not in keys  # never suspended there again
    assert len(_events(stack_sessions, case["id"], "step.decided")) == 1
    assert len(stack.mail_to(HANDLER, case["reference"])) == 3  # nothing sent twice


def test_the_invariant_check_starts_again_a_run_found_waiting_at_a_decided_step(
    stack: Stack, prefect_server: PrefectServer, stack_sessions: sessionmaker[Session]
) -> None:
    """The invariant broken on purpose: the run is made to wait at a step it has taken."""
    case = _file_many(stack, prefect_server, 1)[0]
    run_id = case["run_id"]
    link = _links(stack, [case])[0]
    assert _decide_assessment_raw(link, form_guard(httpx.get(link, timeout=10).text)) == 200
    prefect_server.wait_suspended_at(run_id, "containment-1")
    prefect_server.post(
        f"/flow_runs/{run_id}/set_state",
        {
            "state": {
                "type": "PAUSED",
                "name": "Suspended",
                "state_details": {"pause_key": "assessment-1", "pause_reschedule": True},
            },
            "force": True,
        },
    )
    repaired = eventually(
        lambda: _events(stack_sessions, case["id"], "run.repaired"),
        seconds=60,
        what="the invariant check to notice",
    )
    prefect_server.wait_suspended_at(run_id, "containment-1")
    print(f"\nrun made to wait at a decided step: repaired {len(repaired)}x")
    assert [e.data["waited_at"] for e in repaired] == ["assessment-1"]
    assert len(_events(stack_sessions, case["id"], "step.decided")) == 1
    assert len(stack.mail_to(HANDLER, case["reference"])) == 3  # nothing sent twice


def test_a_missed_48_hour_containment_deadline_reminds_then_escalates_once_each(
    stack: Stack,
    prefect_server: PrefectServer,
    stack_sessions: sessionmaker[Session],
    backend: str,
) -> None:
    """Two deadline watchers run at once, three times, on a moved clock."""
    case = _file_many(stack, prefect_server, 1)[0]
    link = _links(stack, [case])[0]
    assert _decide_assessment_raw(link, form_guard(httpx.get(link, timeout=10).text)) == 200
    prefect_server.wait_suspended_at(case["run_id"], "containment-1")
    with stack_sessions() as session:
        received = session.scalars(
            select(Complaint.received_at).where(Complaint.id == uuid.UUID(case["id"]))
        ).one()
        due = session.scalars(
            select(Step.due_at).where(
                Step.complaint_id == uuid.UUID(case["id"]), Step.key == "containment-1"
            )
        ).one()
    assert due == received + timedelta(hours=48)  # the sample's calendar-hours default
    rounds = {
        "before": due - timedelta(minutes=30),  # both reminders came: only the later is sent
        "overdue": due + timedelta(hours=1),  # level 1 (quality lead)
        "long overdue": due + timedelta(hours=25),  # level 2; 73 h without news
    }
    for as_of in rounds.values():
        runs = [run_deadline_watch(prefect_server, as_of) for _ in range(2)]  # two watchers at once
        for run_id in runs:
            eventually(
                lambda r=run_id: prefect_server.flow_run(r)["state"]["type"] == "COMPLETED",
                seconds=180,
                what="watch finished",
            )
    eventually(lambda: stack.health()["mail_pending"] == 0, what="mail delivered")
    subjects = Counter(
        (m.to.split("<")[-1].rstrip(">"), m.subject.split("：")[0])
        for m in stack.mailbox.store.messages()
        if case["reference"] in m.subject
    )
    print(f"\ntwo watchers x {len(rounds)} rounds: {dict(subjects)}")
    reference = case["reference"]
    assert subjects == Counter(
        {
            (case["payload_email"], f"我们已收到您的投诉 {reference}"): 1,
            # Containment began; and, 72 h on with nothing new, the periodic update.
            (case["payload_email"], f"您的投诉 {reference} 有新进展"): 2,
            ("li.wei@acme.example", "待评估"): 1,
            ("li.wei@acme.example", "紧急临时措施会议"): 1,
            ("li.wei@acme.example", "待提交临时措施会议纪要"): 1,  # the step that is late
            ("li.wei@acme.example", "提醒"): 1,  # one reminder (the 4 h one was superseded)
            ("zhang.min@acme.example", "已逾期"): 1,  # escalation level 1
            (
                "tom.hughes@acme.example",
                "Overdue: complaint " + case["reference"] + " needs attention",
            ): 1,  # level 2, in English
        }
    )
    run = prefect_server.flow_run(case["run_id"])
    assert "overdue" in run["tags"]
    assert len(_events(stack_sessions, case["id"], "step.overdue")) == 2
    # The watch's overview for operators: the missed containment, by reference and owner.
    overview = prefect_server.post(
        "/artifacts/latest/filter", {"artifacts": {"key": {"any_": ["complaints-overview"]}}}
    )
    assert len(overview) == 1 and "## Overdue steps by department and owner" in overview[0]["data"]
    assert f"| {case['reference']} | li-wei |" in overview[0]["data"]
    # Each notice is an event about the complaint as it is given: the reminder, the
    # first escalation (overdue) and the next one up the ladder (escalated).
    names = ["complaint.step.reminded", "complaint.step.overdue", "complaint.step.escalated"]
    query = {
        "filter": {
            "event": {"name": names},
            "any_resource": {"id": [f"complaint.{case['id']}"]},
        },
        "limit": 10,
    }
    # Events reach the server in batches: wait for all three.
    noticed = eventually(
        lambda: len(found := prefect_server.post("/events/filter", query)["events"]) == 3 and found,
        what="the notices' events",
    )
    assert sorted((e["event"], e["payload"]["level"]) for e in noticed) == [
        ("complaint.step.escalated", 2),
        ("complaint.step.overdue", 1),
        ("complaint.step.reminded", 0),
    ]
    assert {(e["payload"]["kind"], e["payload"]["key"]) for e in noticed} == {
        ("containment", "containment-1")
    }
    assert {r["prefect.resource.id"] for e in noticed for r in e["related"]} >= {
        f"prefect.flow-run.{case['run_id']}"
    }


def test_the_deadline_watch_is_scheduled_by_the_prefect_server(
    prefect_server: PrefectServer,
) -> None:
    # The tests keep the schedule off (its runs would only add noise); prefect.yaml's own
    # schedule is what is turned on here, and the server's scheduler must act on it.
    deployment = prefect_server.get("/deployments/name/deadline-watch/deadline-watch")
    assert deployment["schedules"][0]["schedule"]["interval"] == 60
    prefect_server.set_watch_schedule(active=True)
    try:
        runs = eventually(
            lambda: [
                run
                for run in prefect_server.post(
                    "/flow_runs/filter",
                    {"deployments": {"id": {"any_": [deployment["id"]]}}, "limit": 50},
                )
                if run["auto_scheduled"]
            ],
            seconds=120,
            what="runs scheduled by the server's scheduler",
        )
    finally:
        prefect_server.set_watch_schedule(active=False)
    print(
        f"\ndeadline-watch: {len(runs)} runs scheduled, "
        f"states {sorted({r['state']['type'] for r in runs})}"
    )
    assert all(r["auto_scheduled"] for r in runs)
