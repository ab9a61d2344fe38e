"""Markdown for the Prefect artifacts operators read: tables and times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


def utc(moment: datetime | None) -> str:
    """Return a moment as operators read it in Prefect (UTC), or a dash."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "–"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """Return a Markdown table's lines, then a blank one."""
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]
