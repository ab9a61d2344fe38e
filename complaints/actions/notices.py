"""What the quality leads and owners are told of corrective actions: the plan's actions,
each with a link to manage it, and the new owner of a reassigned action."""

from __future__ import annotations

from sqlalchemy.orm import Session

from complaints.enums import LinkAction
from complaints.mail import outbox
from complaints.mail.addresses import addressee, link_url
from complaints.mail.compose import addressed, dedup_key, queue_email
from complaints.mail.contexts import ActionLine, ActionPlanOverviewContext
from complaints.models import Complaint, OutboxMessage, Step
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.catalogue.corrective import ACTION
from complaints.steps.notices import new_link
from complaints.steps.requests import request_step

OVERVIEW = ActionPlanOverviewContext.kind


def tell_new_owner(
    session: Session,
    complaint: Complaint,
    step: Step,
    token: str,
    org: Organization,
    settings: Settings,
) -> OutboxMessage:
    """Queue the request to the owner an action was reassigned to."""
    return request_step(session, complaint, step, token, org, settings, reassigned=True)


def action_plan_overview(
    session: Session,
    complaint: Complaint,
    plan_key: str,
    action_steps: list[Step],
    org: Organization,
    settings: Settings,
) -> list[OutboxMessage]:
    """Queue, to each quality lead, the actions of a plan, each with a link to manage it.

    Queued once per plan and lead (its links are issued with it, then only hashed).
    """
    messages = []
    for key in org.quality_leads:
        person = org.person(key)
        if outbox.exists(session, dedup_key(complaint, plan_key, key, OVERVIEW)):
            continue
        lines = []
        for step in action_steps:
            assert step.due_at is not None
            token = new_link(session, step, key, settings, actions=(LinkAction.MANAGE,))
            action = ACTION.details_of(step)
            lines.append(
                ActionLine(
                    action_type=action.type.value,
                    action=action.description,
                    owner_name=addressee(org, complaint, step.assignee).name,
                    due_at=step.due_at,
                    link_url=link_url(settings, token),
                )
            )
        context = ActionPlanOverviewContext(
            **addressed(complaint, person.name, org),
            actions=lines,
        )
        messages.append(queue_email(session, complaint, plan_key, person, org, context)[0])
    return messages
