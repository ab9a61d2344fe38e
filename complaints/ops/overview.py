"""The whole system at a glance, for the deadline watch's keyed Prefect artifact.

Open complaints by stage, overdue steps by department and owner, the longest-waiting
steps, the 48-hour containments due within a day, mail waiting or failed, and runs
started again lately. References, keys and staff only; times as due dates, not ages,
so the text changes when the facts do (and only then is a new version written).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.enums import EventKind, OutboxStatus, Stage, StepKind, StepStatus
from complaints.markdown import table, utc
from complaints.models import Complaint, Event, OutboxMessage, Step

OLDEST = 10
SOON = timedelta(hours=24)


def _table(columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    return table(columns, rows) if rows else ["_none_", ""]


def overview_markdown(session: Session, now: datetime) -> str:
    """Return the overview as Markdown, as of ``now``."""
    by_stage = session.execute(
        select(Complaint.stage, func.count())
        .where(Complaint.stage != Stage.CLOSED)
        .group_by(Complaint.stage)
    ).all()
    overdue, oldest, containments = _waiting_steps(session, now)
    lines = [f"# Complaints at a glance ({now:%Y-%m-%d %H}:00 UTC)", ""]
    lines += ["## Open complaints by stage", ""]
    lines += _table(("stage", "complaints"), [(s.value, n) for s, n in sorted(by_stage)])
    lines += ["## Overdue steps by department and owner", ""]
    lines += _table(("department", "owner", "overdue"), [tuple(r) for r in overdue])
    lines += [f"## The {OLDEST} longest-waiting steps", ""]
    lines += _table(
        ("complaint", "step", "owner", "opened", "due"),
        [(r, k, a, utc(o), utc(d)) for r, k, a, o, d in oldest],
    )
    lines += ["## Containment (48 hours) due within a day, or missed", ""]
    lines += _table(
        ("complaint", "owner", "due", ""),
        [(r, a, utc(d), "**missed**" if d and d < now else "") for r, a, d in containments],
    )
    return "\n".join(lines + _mail_and_runs(session, now))


def _waiting_steps(session: Session, now: datetime) -> tuple[Any, Any, Any]:
    """Return the open complaints' waiting steps that matter at a glance: overdue ones
    counted by department and owner, the longest-waiting, and containments due soon."""
    waiting = (Step.status == StepStatus.OPEN, Complaint.stage != Stage.CLOSED)
    overdue = session.execute(
        select(Complaint.department, Step.assignee, func.count())
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(*waiting, Step.due_at < now)
        .group_by(Complaint.department, Step.assignee)
        .order_by(func.count().desc(), Complaint.department, Step.assignee)
    ).all()
    oldest = session.execute(
        select(Complaint.reference, Step.key, Step.assignee, Step.opened_at, Step.due_at)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(*waiting)
        .order_by(Step.opened_at, Step.key)
        .limit(OLDEST)
    ).all()
    containments = session.execute(
        select(Complaint.reference, Step.assignee, Step.due_at)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(*waiting, Step.kind == StepKind.CONTAINMENT, Step.due_at < now + SOON)
        .order_by(Step.due_at)
    ).all()
    return overdue, oldest, containments


def _mail_and_runs(session: Session, now: datetime) -> list[str]:
    """Return the overview's last section: mail waiting or failed, runs started again."""
    mail = dict(
        session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
            .group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    restarted = session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.kind == EventKind.RUN_RESTARTED.value, Event.at >= now - SOON)
    )
    return [
        "## Mail and runs",
        "",
        f"- mail waiting: {mail.get(OutboxStatus.PENDING, 0)}",
        f"- mail failed: {mail.get(OutboxStatus.FAILED, 0)}",
        f"- runs started again in the last 24 hours: {restarted or 0}",
        "",
    ]
