"""Every email: a typed context that knows its kind and subject, rendered per recipient
as an HTML + text pair.

A context class that names a ``kind`` registers itself, so the kinds, their contexts and
their subjects are bound in one place: the class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from complaints.enums import EmailKind, Locale
from complaints.i18n import format_datetime, translator
from complaints.templating import environment

# Every kind's context class and subject (English text, the catalogs' message id).
CONTEXTS: dict[EmailKind, type[EmailContext]] = {}
SUBJECTS: dict[EmailKind, str] = {}


class EmailContext(BaseModel):
    """What every email knows: whom it is for and which complaint (or review) it is about."""

    # Set by each concrete context: the template it renders and its subject.
    kind: ClassVar[EmailKind]
    subject: ClassVar[str]

    reference: str
    recipient_name: str
    organization: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            CONTEXTS[cls.kind] = cls
            SUBJECTS[cls.kind] = cls.subject


class ComplaintEmail(EmailContext):
    """An email about one complaint: its product names it for the reader."""

    product: str


class StepRequest(ComplaintEmail):
    """An email that asks someone to act on a step, by its due time, through its link."""

    due_at: datetime
    link_url: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(context: EmailContext, *, locale: Locale, zone: ZoneInfo) -> RenderedEmail:
    """Render an email's subject, text part and HTML part in the recipient's language."""
    _ = translator(locale)
    values = {
        **dict(context),
        "_": _,
        "when": lambda moment: format_datetime(moment, zone, locale),
        "lang": locale.value,
    }
    env = environment()
    text = env.get_template(f"email/{context.kind.value}.txt.j2").render(values)
    html = env.get_template(f"email/{context.kind.value}.html.j2").render(values)
    # The subject is a header: no line breaks may reach it, whatever the data holds.
    subject = " ".join(_(context.subject, reference=context.reference).split())
    return RenderedEmail(subject=subject, text=text, html=html)
