"""A management review in one reader's language: its pack (the inputs) and, once the
minutes are in, its record (decisions, actions and their outcomes). The PDF, the
emails and the reviews area show the same words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from complaints.enums import Locale
from complaints.i18n import Translator, format_datetime, translator
from complaints.management.contracts import ReviewMinutes
from complaints.management.pack import ActionStatus, AnalysisSummary, ReviewPack
from complaints.organization import Organization
from complaints.report.view import Fact, Facts, ReportContent, Section, Table
from complaints.reviews.view import key_label


class Words:
    """Puts a review's values into one reader's words."""

    def __init__(self, org: Organization, locale: Locale) -> None:
        self.org = org
        self.locale = locale
        self.zone = ZoneInfo(org.timezone)
        self._: Translator = translator(locale)

    def name(self, key: str) -> str:
        return self.org.name_of(key)

    def when(self, moment: datetime | None) -> str:
        return format_datetime(moment, self.zone, self.locale) if moment else "–"

    def day(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).date().isoformat()

    def actions(self, title: str, actions: list[ActionStatus], *, with_review: bool) -> Table:
        _ = self._
        columns = ["mr.col.number", "mr.col.area", "mr.col.action", "mr.col.owner"]
        columns += ["mr.col.due", "mr.col.outcome", "mr.col.done"]
        rows = [
            (
                f"{a.review} #{a.number}" if with_review else str(a.number),
                _(f"mr.area.{a.area}"),
                a.description,
                self.name(a.owner),
                self.day(a.due_at),
                _(f"mr.outcome.{a.outcome}"),
                (self.day(a.done_at) + (f" – {a.note}" if a.note else "")) if a.done_at else "",
            )
            for a in actions
        ]
        return Table(title, tuple(_(c) for c in columns), tuple(rows))

    def analysis(self, summary: AnalysisSummary) -> Facts:
        _ = self._
        asked = summary.surveys_asked
        score = "–" if summary.mean_score is None else f"{summary.mean_score:.1f}"
        items = [
            (_("review.mail.new"), str(summary.new)),
            (_("review.mail.closed"), str(summary.closed)),
            (_("review.mail.open_at_end"), str(summary.open_at_end)),
            (
                _("review.mail.containment"),
                f"{summary.containment_met} / {summary.containment_total}",
            ),
            (_("mr.fact.effectiveness"), f"{summary.effective} / {summary.not_effective}"),
            (_("review.mail.satisfaction"), score),
            (_("mr.fact.responses"), f"{summary.surveys_answered} / {asked}"),
            (_("mr.fact.dissatisfied"), str(summary.dissatisfied)),
            (_("review.mail.systemic"), str(summary.systemic)),
            (_("review.mail.recurring"), str(summary.recurring)),
        ]
        title = _("Trend analysis %(reference)s", reference=summary.reference)
        return Facts(title, tuple(Fact(label, value) for label, value in items))


def review_content(
    pack: ReviewPack,
    org: Organization,
    locale: Locale,
    *,
    minutes: ReviewMinutes | None = None,
    decided: list[ActionStatus] | None = None,
) -> ReportContent:
    """Return the pack (no minutes) or the review's record (its minutes and actions)."""
    words = Words(org, locale)
    _ = words._
    systemic = _systemic(pack, org, locale, _)
    sections = [
        Section(
            "analysis",
            _("mr.section.analysis"),
            (words.analysis(pack.analysis),) if pack.analysis else (),
        ),
        Section(
            "earlier",
            _("mr.section.earlier"),
            (words.actions(_("mr.section.earlier"), pack.earlier_actions, with_review=True),)
            if pack.earlier_actions
            else (),
        ),
        Section("systemic", _("mr.section.systemic"), (systemic,) if pack.open_systemic else ()),
    ]
    if minutes is not None:
        sections.append(_minutes_section(words, minutes, decided or []))
    return ReportContent(
        lang=locale.value,
        title=_("mr.title") if minutes is None else _("mr.record_title"),
        organization=org.name,
        reference_label=_("mr.reference"),
        reference=pack.reference,
        generated_label=_("report.generated"),
        generated=words.when(pack.as_of),
        none=_("report.none"),
        separator=_("review.separator"),
        sections=tuple(sections),
    )


def _systemic(pack: ReviewPack, org: Organization, locale: Locale, _: Translator) -> Table:
    return Table(
        _("mr.section.systemic"),
        (_("report.reference"), _("mr.col.family"), _("mr.col.cause")),
        tuple(
            (
                p.reference,
                key_label("product_family", p.product_family, org, locale),
                key_label("cause_category", p.cause_category, org, locale),
            )
            for p in pack.open_systemic
        ),
    )


def _minutes_section(words: Words, minutes: ReviewMinutes, decided: list[ActionStatus]) -> Section:
    _ = words._
    facts = Facts(
        _("mr.section.minutes"),
        (
            Fact(_("mr.fact.attended"), ", ".join(words.name(k) for k in minutes.attended)),
            Fact(_("mr.fact.summary"), minutes.summary or "–"),
            Fact(_("mr.fact.next_review"), minutes.next_review_on.isoformat()),
        ),
    )
    blocks: tuple[Facts | Table, ...] = (facts,)
    if decided:
        blocks += (words.actions(_("mr.section.decisions"), decided, with_review=False),)
    return Section("minutes", _("mr.section.minutes"), blocks)
