"""What the incident report shows, already in its reader's language and time zone.

The record is put into words here, once, so the HTML and the PDF show the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from complaints.enums import Locale
from complaints.i18n import Translator, format_datetime, translator
from complaints.mail.addresses import COMPLAINANT
from complaints.organization import Organization

# Section keys, in the order the report shows them (each titled "report.section.<key>").
SECTIONS = ("complaint", "containment", "cause", "actions", "evidence", "timeline")
SYSTEM = "system"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Facts:
    """A titled list of labelled values: the complaint, one meeting, one action."""

    kind: ClassVar[str] = "facts"
    title: str
    items: tuple[Fact, ...]


@dataclass(frozen=True)
class Table:
    """Rows of short values (the evidence list, the timeline)."""

    kind: ClassVar[str] = "table"
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Facts | Table


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    # Only blocks with something in them; an empty section says "none".
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ReportContent:
    lang: str
    title: str
    organization: str
    reference_label: str
    reference: str
    generated_label: str
    generated: str
    none: str
    # Between a label and its value (": ", or the full-width "：" in Chinese).
    separator: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Reader:
    """Whoever reads the report: their language, their time zone, the people's names."""

    locale: Locale
    zone: ZoneInfo
    org: Organization

    def text(self, key: str) -> str:
        """Return one of the report's own messages (``report.<key>``)."""
        return self._translate(f"report.{key}")

    def label(self, key: str, fallback: str) -> str:
        """Return a keyed label of the catalog (an enum value, an event), or ``fallback``."""
        shown = self._translate(key)
        return fallback if shown == key else shown

    def when(self, moment: datetime | str | None) -> str:
        """Return a moment (or the ISO text a decision holds) in the reader's zone."""
        if not moment:
            return ""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_datetime(moment, self.zone, self.locale)

    def name(self, key: str | None) -> str:
        """Return whom a person key stands for; the complainant is never named."""
        if not key:
            return ""
        if key == COMPLAINANT:
            return self.text("complainant")
        if key == SYSTEM:
            return self.text("system")
        return self.org.name_of(key)

    def yes_no(self, value: object) -> str:
        """Return yes, no, or not known (None)."""
        if value is None:
            return self.text("not_known")
        return self.text("yes") if value else self.text("no")

    def facts(self, title: str, pairs: Sequence[tuple[str, str]]) -> Facts:
        """Return labelled values (``report.<key>``, value); empty values are left out."""
        items = tuple(Fact(self.text(key), value) for key, value in pairs if value.strip())
        return Facts(title, items)

    def table(self, columns: Sequence[str], rows: Sequence[tuple[str, ...]]) -> Table:
        """Return a table with ``report.<column>`` headings."""
        return Table("", tuple(self.text(c) for c in columns), tuple(rows))

    @property
    def _translate(self) -> Translator:
        return translator(self.locale)


def section(reader: Reader, key: str, blocks: Sequence[Block]) -> Section:
    """Return a titled section with the blocks that hold something."""
    shown = tuple(b for b in blocks if (b.items if isinstance(b, Facts) else b.rows))
    return Section(key, reader.text(f"section.{key}"), shown)
