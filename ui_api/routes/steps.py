"""Step links: GET shows the step's page, only the form's POST decides.

Mail scanners fetch every link in an email before the person does, so GET never
changes anything. The POST must come from the page itself (form guard, same origin), is
recorded once (a conditional update), committed, and only then does the background loop
resume the flow run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from complaints import repository, steps
from complaints.contracts import STEP_INPUTS
from complaints.enums import DecisionChannel, Grade, LinkAction, Locale, StepStatus
from complaints.models import LinkToken
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.tokens import form_guard, guard_matches
from ui_api.deps import DbDep, OrchestratorDep, OrganizationDep, SettingsDep, client_addr
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter

router = APIRouter(tags=["steps"], include_in_schema=False)
MAX_FIELD = 10_000


@router.get("/s/{token}", response_class=HTMLResponse)
def show_step(
    token: str, request: Request, db: DbDep, org: OrganizationDep, settings: SettingsDep
) -> HTMLResponse:
    """Show the step a link is for, and its form (changes nothing)."""
    limiter: FailureLimiter = request.app.state.link_failures
    if limiter.blocked(client_addr(request)):
        return _invalid(request, org, status_code=429)
    link = steps.resolve_link(db, token, settings.secret_key.get_secret_value())
    if link is None:
        limiter.failed(client_addr(request))
        return _invalid(request, org)
    if link.step.status is not StepStatus.OPEN:
        return _already_decided(db, link, org)
    return _form(db, link, token, org, settings, values={}, errors={})


@router.post("/s/{token}", response_class=HTMLResponse)
async def decide_step(
    token: str,
    request: Request,
    db: DbDep,
    org: OrganizationDep,
    settings: SettingsDep,
    orchestrator: OrchestratorDep,
) -> HTMLResponse:
    """Record the decision posted by the step's form, then let the flow move on."""
    limiter: FailureLimiter = request.app.state.link_failures
    addr = client_addr(request)
    if limiter.blocked(addr):
        return _invalid(request, org, status_code=429)
    if not _same_origin(request, settings):
        limiter.failed(addr)
        return _invalid(request, org, status_code=403)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str) and len(v) <= MAX_FIELD}
    response = await run_in_threadpool(_decide, db, token, fields, org, settings, request, addr)
    if response.status_code == 404:
        limiter.failed(addr)
    if response.status_code == 200:
        orchestrator.wake()
    return response


def _same_origin(request: Request, settings: Settings) -> bool:
    # Browsers send Origin with every form POST; a foreign one is a cross-site forgery.
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = urlsplit(settings.public_url)
    return origin.rstrip("/") == f"{public.scheme}://{public.netloc}"


def _decide(
    db: Session,
    token: str,
    fields: dict[str, str],
    org: Organization,
    settings: Settings,
    request: Request,
    addr: str | None,
) -> HTMLResponse:
    secret = settings.secret_key.get_secret_value()
    link = steps.resolve_link(db, token, secret)
    if link is None or not guard_matches(token, secret, fields.get("guard", "")):
        return _invalid(request, org)
    if LinkAction.DECIDE.value not in link.actions:
        return _invalid(request, org, status_code=403)
    if link.step.status is not StepStatus.OPEN:
        return _already_decided(db, link, org)
    contract = STEP_INPUTS[link.step.kind]
    submitted = {k: v for k, v in fields.items() if k in contract.model_fields}
    try:
        decision = contract.model_validate({**submitted, "decided_via": DecisionChannel.EMAIL_LINK})
    except ValidationError as exc:
        return _form(db, link, token, org, settings, values=fields, errors=_messages(exc))
    recorded = steps.record_decision(
        db,
        link.step,
        decision,
        decided_by=link.recipient,
        channel=DecisionChannel.EMAIL_LINK,
        client_addr=addr,
    )
    if not recorded:  # a concurrent post won
        db.rollback()
        db.refresh(link.step)
        return _already_decided(db, link, org)
    db.commit()  # the decision is safe before the flow hears of it
    return render_page(
        "step_done",
        **_reader(link, org),
        org=org,
        complaint=link.step.complaint,
        step=link.step,
        timeline=_timeline(db, link, org),
    )


def _reader(link: LinkToken, org: Organization) -> dict[str, Any]:
    """Return the language and time zone of the person a link was sent to."""
    person = org.people.get(link.recipient)
    return {
        "locale": Locale(person.locale) if person else Locale.EN,
        "zone": org.zone_of(person),
    }


def _timeline(db: Session, link: LinkToken, org: Organization) -> list[dict[str, Any]]:
    """Return the complaint's audit trail, with people's names."""
    rows = []
    for event in repository.events_of(db, link.step.complaint_id):
        person = org.people.get(event.actor)
        rows.append(
            {
                "at": event.at,
                "kind": event.kind,
                "actor": person.name if person else event.actor,
                "channel": event.channel,
            }
        )
    return rows


def _form(
    db: Session,
    link: LinkToken,
    token: str,
    org: Organization,
    settings: Settings,
    *,
    values: dict[str, str],
    errors: dict[str, str],
) -> HTMLResponse:
    return render_page(
        f"step_{link.step.kind.value}",
        **_reader(link, org),
        org=org,
        status_code=422 if errors else 200,
        complaint=link.step.complaint,
        step=link.step,
        person=org.people.get(link.recipient),
        guard=form_guard(token, settings.secret_key.get_secret_value()),
        grades=list(Grade),
        values=values,
        errors=errors,
        timeline=_timeline(db, link, org),
    )


def _already_decided(db: Session, link: LinkToken, org: Organization) -> HTMLResponse:
    step = link.step
    decider = org.people.get(step.decided_by or "")
    return render_page(
        "step_decided",
        **_reader(link, org),
        org=org,
        status_code=409,
        complaint=step.complaint,
        step=step,
        decided_by=decider.name if decider else (step.decided_by or ""),
        timeline=_timeline(db, link, org),
    )


def _invalid(request: Request, org: Organization, *, status_code: int = 404) -> HTMLResponse:
    # One page for unknown, tampered, expired and revoked links: no hint of which it was.
    return render_page(
        "link_invalid", locale=locale_from_request(request), org=org, status_code=status_code
    )


def _messages(exc: ValidationError) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        messages.setdefault(field, error["msg"].removeprefix("Value error, "))
    return messages
