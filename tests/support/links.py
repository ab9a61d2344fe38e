"""Reading emails and pages the way a person's browser would."""

from __future__ import annotations

import re

from devtools.mailbox import StoredMessage

_LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+")
_GUARD = re.compile(r'name="guard" value="([0-9a-f]+)"')


def step_link(message: StoredMessage) -> str:
    """Return the step link in an email's text part (and check the HTML part has it too)."""
    found = _LINK.findall(message.part("plain"))
    assert len(found) == 1, found
    assert found[0] in message.part("html")
    return found[0]


def form_guard(page: str) -> str:
    """Return the hidden guard value of a step page's form."""
    match = _GUARD.search(page)
    assert match, "the page has no form"
    return match.group(1)
