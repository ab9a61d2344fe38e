"""Salted commitments to the fields of an audit event that may be erased.

Every text an event holds (its actor, its client address, every string in its data) is
committed to by ``sha256(salt || value)`` with a salt of its own; the chain's hash covers
the commitment, not the text. Erasing a field removes its text and its salt and keeps the
commitment, so the chain still verifies and shows that something was there (confidentiality,
ISO 10002 guiding principles; deletion rights of PIPL and the GDPR).
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
from collections.abc import Iterator
from typing import Any

# What an erased text reads as; an erased client address is None.
ERASED = "(erased)"
ACTOR = "/actor"
CLIENT_ADDR = "/client_addr"
DATA = "/data"


def canonical(value: Any) -> str:
    """Return the one JSON spelling of a value that hashes are taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def commitment(salt: str, value: Any) -> str:
    """Return the salted digest of a value."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical(value).encode()).hexdigest()


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def string_leaves(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """Yield (JSON pointer, text) of every string inside a JSON value."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_leaves(item, f"{pointer}/{_escape(str(key))}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_leaves(item, f"{pointer}/{index}")


def sealable(actor: str, client_addr: str | None, data: dict[str, Any]) -> dict[str, str]:
    """Return every text of an event that is committed to, by JSON pointer."""
    texts = {ACTOR: actor}
    if client_addr is not None:
        texts[CLIENT_ADDR] = client_addr
    texts.update(string_leaves(data, DATA))
    return texts


def new_seal(value: str) -> dict[str, Any]:
    """Return a fresh seal of a text: its salt and its commitment."""
    salt = secrets.token_hex(16)
    return {"salt": salt, "digest": commitment(salt, value)}


def _parts(pointer: str) -> list[str]:
    return [_unescape(part) for part in pointer.split("/")[2:]]


def _set(document: Any, parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        document = document[int(part)] if isinstance(document, list) else document[part]
    if isinstance(document, list):
        document[int(parts[-1])] = value
    else:
        document[parts[-1]] = value


def set_data(data: dict[str, Any], pointer: str, value: Any) -> dict[str, Any]:
    """Return a copy of an event's data with the text at a pointer replaced."""
    changed = copy.deepcopy(data)
    _set(changed, _parts(pointer), value)
    return changed


def committed_view(
    actor: str, client_addr: str | None, data: dict[str, Any], seals: dict[str, Any]
) -> tuple[str | None, str | None, dict[str, Any]]:
    """Return (actor, client address, data) with each sealed text replaced by its digest.

    Raises KeyError or IndexError when a seal names no text of the event.
    """
    view = copy.deepcopy(data)
    committed_actor: str | None = actor
    committed_addr = client_addr
    for pointer, seal in seals.items():
        if pointer == ACTOR:
            committed_actor = seal["digest"]
        elif pointer == CLIENT_ADDR:
            committed_addr = seal["digest"]
        else:
            _set(view, _parts(pointer), seal["digest"])
    return committed_actor, committed_addr, view


def seal_problem(
    actor: str, client_addr: str | None, data: dict[str, Any], seals: dict[str, Any]
) -> str | None:
    """Say what is wrong with an event's seals, or None when each text matches its own."""
    texts = sealable(actor, client_addr, data)
    unsealed = set(texts) - set(seals)
    if unsealed:
        return f"text without a seal at {sorted(unsealed)[0]}"
    for pointer, seal in seals.items():
        value = texts.get(pointer)
        if "salt" in seal:
            if value is None or commitment(seal["salt"], value) != seal["digest"]:
                return f"text changed at {pointer}"
        elif "erased" not in seal:
            return f"seal without salt or erasure at {pointer}"
        elif value not in (ERASED, None) or (value is None and pointer != CLIENT_ADDR):
            return f"erased text present at {pointer}"
    return None
