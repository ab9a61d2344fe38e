"""The reviews area's session: a signed, HttpOnly, SameSite cookie for a quality lead.

The cookie holds the lead's key and when the session ends, signed with the app's
secret; it opens nothing else. Every POST of the area carries a guard derived from the
cookie, so another site cannot post in a lead's name even where SameSite is ignored.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request, Response

from complaints.enums import Locale
from complaints.organization import Organization, Person
from complaints.settings import Settings
from complaints.tokens import form_guard, guard_matches, sign_session, verify_session
from ui_api.deps import OrganizationDep, SettingsDep

COOKIE = "complaints_reviews"
COOKIE_PATH = "/reviews"


class NotSignedIn(Exception):
    """A page of the reviews area asked for without a quality lead's session."""


def start_session(response: Response, person: str, settings: Settings) -> None:
    """Sign a quality lead in: set the session cookie."""
    seconds = settings.review_session_hours * 3600
    value = sign_session(person, int(time.time()) + seconds, settings.secret_key.get_secret_value())
    response.set_cookie(
        COOKIE,
        value,
        max_age=seconds,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https://"),
    )


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)


def session_person(request: Request, settings: Settings, org: Organization) -> Person | None:
    """Return the signed-in staff member (a quality lead or the front desk), if the cookie
    is genuine, current and theirs."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    key = verify_session(value, settings.secret_key.get_secret_value(), int(time.time()))
    if key is None or key not in org.staff:
        return None
    return org.person(key)


def session_guard(request: Request, settings: Settings) -> str:
    """Return the guard the area's forms carry (tied to this session's cookie)."""
    return form_guard(request.cookies.get(COOKIE, ""), settings.secret_key.get_secret_value())


def guard_holds(request: Request, settings: Settings, posted: str) -> bool:
    return guard_matches(
        request.cookies.get(COOKIE, ""), settings.secret_key.get_secret_value(), posted
    )


async def signed_in_lead(request: Request, settings: SettingsDep, org: OrganizationDep) -> Person:
    """The quality lead of the request (NotSignedIn: the sign-in page is shown instead)."""
    person = session_person(request, settings, org)
    if person is None or person.key not in org.quality_leads:
        raise NotSignedIn
    return person


async def signed_in_staff(request: Request, settings: SettingsDep, org: OrganizationDep) -> Person:
    """The quality lead or front-desk person of the request (else the sign-in page)."""
    person = session_person(request, settings, org)
    if person is None:
        raise NotSignedIn
    return person


def locale_of(person: Person) -> Locale:
    return Locale(person.locale)


LeadDep = Annotated[Person, Depends(signed_in_lead)]
StaffDep = Annotated[Person, Depends(signed_in_staff)]
