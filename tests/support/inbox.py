"""Reading a complaint's emails one by one, and posting step forms, as people do."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from devtools.mailbox import StoredMessage
from tests.support.links import form_guard
from tests.support.stack import Stack, eventually

# A minimal real PDF (evidence files).
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


class Inbox:
    """The emails of one complaint, handed out once each as they arrive."""

    def __init__(self, stack: Stack, reference: str) -> None:
        self.stack = stack
        self.reference = reference
        self.seen: set[str] = set()

    def next(self, address: str, subject: str, count: int = 1) -> list[StoredMessage]:
        def arrived() -> list[StoredMessage] | None:
            fresh = [
                m
                for m in self.stack.mail_to(address, self.reference)
                if m.key not in self.seen and subject in m.subject
            ]
            return fresh if len(fresh) >= count else None

        found: list[StoredMessage] = eventually(
            arrived, seconds=120, what=f"{subject} to {address}"
        )
        assert len(found) == count, [m.subject for m in found]
        self.seen |= {m.key for m in found}
        return found

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter(
            (m.to.split("<")[-1].rstrip(">"), m.subject)
            for m in self.stack.mailbox.store.messages()
            if self.reference in m.subject
        )


def post_form(link: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
    guard = form_guard(httpx.get(link, timeout=10).text)
    return httpx.post(link, data={"guard": guard, **data}, timeout=30, **kwargs)
