"""Whom an email is for, and the links it carries."""

from __future__ import annotations

from complaints.models import Complaint
from complaints.organization import Organization, Person
from complaints.settings import Settings
from complaints.tokens import sign_status

# The assignee of a step the complainant acts on (not a person of the organization).
COMPLAINANT = "complainant"


def addressee(org: Organization, complaint: Complaint, key: str) -> Person:
    """Return whom a person key stands for: someone of the organization, or the complainant."""
    if key == COMPLAINANT:
        return Person(
            key=COMPLAINANT,
            name=complaint.complainant_name,
            email=complaint.complainant_email,
            locale=complaint.locale,
        )
    return org.person(key)


def status_url(settings: Settings, complaint: Complaint) -> str:
    """Return the complainant's login-free status page."""
    signed = sign_status(complaint.id, settings.secret_key.get_secret_value())
    return f"{settings.public_url.rstrip('/')}/status/{signed}"


def link_url(settings: Settings, token: str) -> str:
    """Return the page a step link opens."""
    return f"{settings.public_url.rstrip('/')}/s/{token}"
