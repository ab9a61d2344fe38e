"""Translations and date formatting per recipient (English and Simplified Chinese)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from complaints.enums import Locale

LOCALES_DIR = Path(__file__).resolve().parent / "locales"

# English is the source language: most message ids are the English text itself.
Translator = Callable[..., str]


@lru_cache
def catalog(locale: Locale) -> dict[str, str]:
    """Return the message catalog of a locale.

    English needs entries only for keyed messages (stage names, enum values).
    """
    path = LOCALES_DIR / f"{locale.value}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def translator(locale: Locale) -> Translator:
    """Return ``_(msgid, **values)`` for a locale; values are %-interpolated."""
    messages = catalog(locale)

    def _(msgid: str, **values: object) -> str:
        text = messages.get(msgid, msgid)
        return text % values if values else text

    return _


def format_datetime(moment: datetime, zone: ZoneInfo, locale: Locale) -> str:
    """Format a moment in the recipient's time zone and language."""
    local = moment.astimezone(zone)
    if locale is Locale.ZH_CN:
        return f"{local:%Y年%m月%d日 %H:%M}（{zone.key}）"
    return f"{local:%d %b %Y, %H:%M} ({zone.key})"
