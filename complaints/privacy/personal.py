"""What counts as a complainant's personal data in our records, and how it is scrubbed."""

from __future__ import annotations

import re
from typing import Any

from complaints.enums import StepKind
from complaints.models import Complaint
from complaints.seals import ERASED
from complaints.steps.catalogue import spec_of

# Texts written to the complainant besides a contract's private fields: they may name them.
WRITTEN_TO_THEM = frozenset({"explanation", "question"})
# Shorter texts (a two-letter name) would match words of other texts by chance.
SHORTEST = 4
# A key, code or id (a grade, a measure type, a person key, a uuid, a JSON pointer): what
# the reviews count by, never the complainant's words, even if their remedy reads "repair".
_KEY = re.compile(r"[a-z0-9][a-z0-9_./:\-]*")


def is_key(text: str) -> bool:
    """Tell whether a text is a key or code rather than someone's words."""
    return _KEY.fullmatch(text) is not None


def personal_strings(complaint: Complaint) -> set[str]:
    """Return the complainant's identifying texts, lower-cased, as they may recur elsewhere."""
    texts = (
        complaint.complainant_name,
        complaint.complainant_email,
        complaint.complainant_phone or "",
        complaint.description,
        complaint.requested_remedy,
    )
    return {t.strip().lower() for t in texts if len(t.strip()) >= SHORTEST and t != ERASED}


def mentions(text: str, strings: set[str]) -> bool:
    """Tell whether a text contains one of the complainant's identifying texts."""
    lowered = text.lower()
    return any(s in lowered for s in strings)


def erasable(text: str) -> bool:
    """Tell whether a text may be erased for mentioning the complainant (not a key)."""
    return text != ERASED and not is_key(text)


def erasable_fields(kind: StepKind) -> frozenset[str]:
    """Return a step kind's decision fields that are the complainant's or written to them."""
    return spec_of(kind).contract.private_fields | WRITTEN_TO_THEM


def scrub(value: Any, strings: set[str], fields: frozenset[str] = frozenset()) -> Any:
    """Return a JSON value with personal texts erased: the top-level ``fields`` and any
    text that mentions the complainant."""
    if isinstance(value, dict):
        return {
            key: ERASED
            if key in fields and isinstance(item, str) and item
            else scrub(item, strings)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item, strings) for item in value]
    if isinstance(value, str) and erasable(value) and mentions(value, strings):
        return ERASED
    return value


def erased_texts(before: Any, after: Any) -> set[str]:
    """Return the texts of ``before`` that ``after`` has erased."""
    if isinstance(before, dict) and isinstance(after, dict):
        return set().union(*(erased_texts(v, after.get(k)) for k, v in before.items()))
    if isinstance(before, list) and isinstance(after, list):
        return set().union(*(erased_texts(b, a) for b, a in zip(before, after, strict=False)))
    if isinstance(before, str) and after == ERASED and before != ERASED:
        return {before}
    return set()
