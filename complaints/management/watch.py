"""Reminders before a management review's task is due and escalation after it, up the
organization's ladder, exactly as a complaint's steps get them (the deadline watch gives
both). Each notice is noted on its task and its emails are queued once per notice and
person, so a watch that runs twice sends nothing twice."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.deadlines.schedule import Notice, plan_notices, reached
from complaints.enums import NoticeKind, StepStatus
from complaints.mail.compose import queue_staff_email
from complaints.management.emails import ReviewTaskNoticeContext
from complaints.management.links import issue_link
from complaints.models import Review, ReviewTask, TaskKind
from complaints.organization import Organization
from complaints.settings import Settings


def notices_of(task: ReviewTask, org: Organization) -> list[Notice]:
    """Return every notice a review task can get, in time order."""
    return plan_notices(org, opened_at=task.opened_at, due_at=task.due_at, assignee=task.assignee)


def watch_review_tasks(
    session: Session, org: Organization, settings: Settings, *, now: datetime
) -> list[uuid.UUID]:
    """Give every open review task the notices that have come; return the emails queued."""
    message_ids: list[uuid.UUID] = []
    tasks = session.scalars(select(ReviewTask).where(ReviewTask.status == StepStatus.OPEN)).all()
    for task in tasks:
        for notice in reached(notices_of(task, org), now, set(task.notices)):
            task.notices = [*task.notices, notice.key]
            if notice.kind is not NoticeKind.SUPERSEDED:
                message_ids += _give(session, org, settings, task, notice, now)
    session.flush()
    return message_ids


def _give(
    session: Session,
    org: Organization,
    settings: Settings,
    task: ReviewTask,
    notice: Notice,
    now: datetime,
) -> list[uuid.UUID]:
    review = session.get_one(Review, task.review_id)
    owner = org.person(task.assignee)
    escalated = notice.kind is NoticeKind.ESCALATION
    description = str(task.details.get("description", ""))
    queued = []
    for key in notice.people:
        person = org.person(key)
        context = ReviewTaskNoticeContext(
            reference=review.period_label,
            recipient_name=person.name,
            organization=org.name,
            task_name=f"mr.task.{task.kind.value}",
            description=description if task.kind is TaskKind.ACTION else "",
            owner_name=owner.name,
            due_at=task.due_at,
            link_url=issue_link(session, task, key, settings, now=now),
            level=notice.level if escalated else 0,
        )
        occasion = f"{task.kind.value}-{task.number}:{len(task.history)}:{notice.key}"
        message, _new = queue_staff_email(
            session,
            person,
            org,
            context,
            dedup_key=f"review:{review.id}:{occasion}:{key}",
            now=now,
        )
        queued.append(message.id)
    return queued
