"""The trend analysis in words, charts and PDF, in both languages, from hand-made figures."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from complaints.enums import Locale
from complaints.organization import load_organization
from complaints.report.view import Facts, Section, Table
from complaints.reviews.charts import Chart, pareto_chart, review_charts, trend_chart
from complaints.reviews.figures import (
    Count,
    Filters,
    Outcomes,
    Period,
    PeriodCounts,
    Problems,
    Satisfaction,
    Share,
    Timeliness,
    TrendFigures,
)
from complaints.reviews.pdf import render_review_pdf
from complaints.reviews.view import ReviewContent, key_label, review_content
from complaints.settings import PROJECT_DIR

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
PNG = b"\x89PNG\r\n\x1a\n"
# 2026-Q3 in Shanghai (UTC+8): 1 July 00:00 to 1 October 00:00, local time.
Q3 = Period("2026-Q3", datetime(2026, 6, 30, 16, tzinfo=UTC), datetime(2026, 9, 30, 16, tzinfo=UTC))
TITLES = {
    Locale.EN: [
        "Overview",
        "Classification",
        "Systemic, recurring and one-off problems",
        "Timeliness",
        "Outcomes",
        "Complainant satisfaction",
    ],
    Locale.ZH_CN: [
        "概况",
        "分类统计",
        "系统性、重复性与偶发问题",
        "及时性",
        "处理结果",
        "投诉人满意度",
    ],
}
NOTHING = {
    Locale.EN: "No complaint was received, closed or open in this period.",
    Locale.ZH_CN: "本期间没有收到、结案或未结的投诉。",
}


def _figures(*, counts: PeriodCounts | None = None, empty: bool = False) -> TrendFigures:
    """Return a small quarter: 10 complaints, one without a category, one of a retired key."""
    now = counts or PeriodCounts("2026-Q3", 10, 7, 4)
    earlier = [PeriodCounts("2026-Q1", 3, 2, 1), PeriodCounts("2026-Q2", 6, 5, 2)]
    pareto = {
        "category": [
            Count("product-defect", 5),
            Count("", 3),
            Count("delivery", 1),
            Count("retired-category", 1),
        ],
        "product_family": [Count("kitchen", 7), Count("climate", 2), Count("", 1)],
        "cause_category": [Count("", 6), Count("material", 3), Count("method", 1)],
        "channel": [Count("web", 6), Count("email", 4)],
        "grade": [Count("complaint", 8), Count("major_complaint", 2)],
        "department": [Count("kitchen", 9), Count("quality", 1)],
    }
    return TrendFigures(
        period=Q3,
        filters=Filters(),
        counts=now,
        series=[*earlier, now],
        pareto={} if empty else pareto,
        problems=Problems(systemic=1, recurring=2, one_off=3, not_analysed=6, reopened=1),
        timeliness=Timeliness(
            acknowledgement=Share(9, 10, median_hours=0.4, p90_hours=0.8),
            assessment=Share(7, 8, median_hours=20.5, p90_hours=None),
            containment=Share(0, 0),
            overdue_steps_at_end=2,
            overdue_actions_at_end=1,
            escalations=3,
        ),
        outcomes=Outcomes([Count("resolved", 5), Count("not_ours", 2)], 4, 5, 2, 1, 3, 1),
        satisfaction=Satisfaction(asked=4, answered=3, mean_score=4.25, dissatisfied=1),
    )


def _section(content: ReviewContent, key: str) -> Section:
    return next(s for s in content.sections if s.key == key)


def _table(section: Section, title: str) -> Table:
    return next(b for b in section.blocks if isinstance(b, Table) and b.title == title)


def _facts(section: Section) -> dict[str, str]:
    return {f.label: f.value for b in section.blocks if isinstance(b, Facts) for f in b.items}


def _pdf_text(data: bytes) -> str:
    # pypdf reads this font's text back with a NUL or space between glyphs.
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"[\s\x00]+", "", text)


@pytest.fixture(scope="module")
def charts() -> dict[Locale, list[Chart]]:
    return {locale: review_charts(_figures(), ORG, locale) for locale in Locale}


def test_the_content_names_the_period_scope_and_sections_in_both_languages() -> None:
    english, chinese = (review_content(_figures(), ORG, locale) for locale in Locale)
    assert (english.title, chinese.title) == ("Complaint trend analysis", "投诉趋势分析")
    assert english.organization == "Acme Home Appliances"
    assert english.period == chinese.period == "2026-Q3"
    # The span is in the organization's zone, its end (exclusive) shown as the day before.
    assert english.span == "2026-07-01 – 2026-09-30"
    assert (english.scope, chinese.scope) == ("All complaints", "全部投诉")
    assert english.notice == chinese.notice == ""
    assert [s.title for s in english.sections] == TITLES[Locale.EN]
    assert [s.title for s in chinese.sections] == TITLES[Locale.ZH_CN]


def test_filters_are_named_by_the_organization_file() -> None:
    filtered = replace(_figures(), filters=Filters("kitchen", "climate"))
    english, chinese = (review_content(filtered, ORG, locale).scope for locale in Locale)
    assert english == "Department: Kitchen appliances; Product family: Heating and cooling"
    assert chinese == "部门：Kitchen appliances；产品系列：冷暖设备"


@pytest.mark.parametrize(
    ("locale", "title", "rows"),
    [
        (
            Locale.EN,
            "By category at the period's end",
            [
                ("Product defect", "5", "50 %", "50 %"),
                ("Unclassified", "3", "30 %", "80 %"),
                ("Delivery or packaging", "1", "10 %", "90 %"),
                ("retired-category", "1", "10 %", "100 %"),
            ],
        ),
        (
            Locale.ZH_CN,
            "按类别（期末）",
            [
                ("产品缺陷", "5", "50%", "50%"),
                ("未分类", "3", "30%", "80%"),
                ("交付或包装", "1", "10%", "90%"),
                ("retired-category", "1", "10%", "100%"),
            ],
        ),
    ],
)
def test_a_pareto_shows_names_counts_shares_and_cumulative_shares(
    locale: Locale, title: str, rows: list[tuple[str, ...]]
) -> None:
    classification = _section(review_content(_figures(), ORG, locale), "classification")
    table = _table(classification, title)
    assert len(table.columns) == 4
    assert list(table.rows) == rows
    # Dimensions without counts (category_now, product here) have no table at all.
    assert len(classification.blocks) == 6


def test_keys_read_as_names_of_the_organization_or_of_the_catalog() -> None:
    zh = Locale.ZH_CN
    assert key_label("product_family", "climate", ORG, zh) == "冷暖设备"
    assert key_label("category_now", "safety", ORG, Locale.EN) == "Safety hazard"
    assert key_label("department", "quality", ORG, zh) == "Quality"
    assert key_label("cause_category", "material", ORG, zh) == "材料"
    assert key_label("cause_category", "", ORG, Locale.EN) == "Not analysed"
    assert key_label("cause_category", "", ORG, zh) == "未分析"
    assert key_label("product_family", "", ORG, zh) == "未分类"
    assert key_label("channel", "web", ORG, Locale.EN) == "Web form"
    assert key_label("grade", "major_complaint", ORG, zh) == "重大投诉"
    assert key_label("resolution", "not_ours", ORG, zh) == "非我方问题"
    # A product is its own text; a key the file no longer has shows itself.
    assert key_label("product", "web", ORG, zh) == "web"
    assert key_label("category", "retired-category", ORG, zh) == "retired-category"
    assert key_label("cause_category", "retired-m", ORG, zh) == "retired-m"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            {
                "Acknowledgement": ("9 / 10 (90 %)", "0.4", "0.8"),
                "Assessment": ("7 / 8 (88 %)", "20.5", "–"),
                "Containment": ("0 / 0 (–)", "–", "–"),
            },
        ),
        (
            Locale.ZH_CN,
            {
                "确认收到": ("9 / 10 (90%)", "0.4", "0.8"),
                "评估": ("7 / 8 (88%)", "20.5", "–"),
                "遏制措施": ("0 / 0 (–)", "–", "–"),
            },
        ),
    ],
)
def test_time_limits_read_met_of_total_with_the_hours_taken(
    locale: Locale, expected: dict[str, tuple[str, ...]]
) -> None:
    timeliness = _section(review_content(_figures(), ORG, locale), "timeliness")
    limits = next(b for b in timeliness.blocks if isinstance(b, Table))
    assert {row[0]: row[1:] for row in limits.rows} == expected


def test_outcomes_problems_and_satisfaction_in_words() -> None:
    content = review_content(_figures(), ORG, Locale.EN)
    outcomes = _section(content, "outcomes")
    assert _table(outcomes, "Resolutions").rows == (
        ("Resolved", "5", "71 %"),
        ("Not ours", "2", "29 %"),
    )
    assert _facts(outcomes)["First answer accepted, of answers decided"] == "4 / 5 (80 %)"
    assert _facts(_section(content, "problems"))["Recurring problems"] == "2"
    assert _facts(_section(content, "satisfaction")) == {
        "Surveys sent": "4",
        "Surveys answered": "3",
        "Response rate": "75 %",
        "Mean score": "4.3",
        "Dissatisfied": "1",
    }
    chinese = review_content(_figures(), ORG, Locale.ZH_CN)
    assert _facts(_section(chinese, "satisfaction"))["回复率"] == "75%"


@pytest.mark.parametrize("locale", list(Locale))
def test_a_period_where_nothing_happened_says_so_and_shows_zeros(locale: Locale) -> None:
    figures = _figures(counts=PeriodCounts("2026-Q3", 0, 0, 0), empty=True)
    assert figures.nothing_happened
    content = review_content(figures, ORG, locale)
    assert content.notice == NOTHING[locale]
    assert list(_facts(_section(content, "overview")).values()) == ["0", "0", "0"]
    assert [s.title for s in content.sections] == TITLES[locale]
    # Only the trend remains to draw; the PDF says it all the same.
    charts = review_charts(figures, ORG, locale)
    assert [c.name for c in charts] == ["trend"]
    text = _pdf_text(render_review_pdf(content, charts))
    assert re.sub(r"\s", "", NOTHING[locale]) in text


def test_charts_are_pngs_as_wide_as_an_email(charts: dict[Locale, list[Chart]]) -> None:
    for locale, drawn in charts.items():
        names = [c.name for c in drawn]
        assert names == ["trend", "pareto-category", "pareto-cause-category"], locale
        for chart in drawn:
            assert chart.png.startswith(PNG)
            with Image.open(io.BytesIO(chart.png)) as image:
                assert image.width == 600, (locale, chart.name)
                assert 250 <= image.height <= 400
    assert charts[Locale.ZH_CN][0].title == "各期投诉"


def test_the_same_figures_draw_the_same_bytes() -> None:
    series = _figures().series
    assert trend_chart(series, Locale.EN) == trend_chart(series, Locale.EN)
    assert trend_chart(series, Locale.EN) != trend_chart(series, Locale.ZH_CN)


def test_chinese_labels_render_without_a_font_or_glyph_warning() -> None:
    labels = ["产品缺陷", "未分类", "交付或包装（说明书）", "retired-category"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pareto = pareto_chart([5, 3, 1, 1], labels, Locale.ZH_CN)
        trend = trend_chart(_figures().series, Locale.ZH_CN)
    assert pareto.startswith(PNG) and trend.startswith(PNG)


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        (Locale.EN, ["Complaint trend analysis", "Period: 2026-Q3", "Product defect", "550 %"]),
        (Locale.ZH_CN, ["投诉趋势分析", "期间：2026-Q3", "产品缺陷", "交付或包装110%"]),
    ],
)
def test_the_pdf_holds_the_words_and_every_chart(
    locale: Locale, words: list[str], charts: dict[Locale, list[Chart]]
) -> None:
    content = review_content(_figures(), ORG, locale)
    data = render_review_pdf(content, charts[locale])
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = _pdf_text(data)
    for shown in [*words, *TITLES[locale]]:
        assert re.sub(r"\s", "", shown) in text, shown
    assert "review." not in text
    assert sum(len(page.images) for page in reader.pages) == len(charts[locale]) == 3
    # One bookmark per section; the footer names the period on every page.
    assert [item["/Title"] for item in reader.outline] == [
        f"{number}. {title}" for number, title in enumerate(TITLES[locale], 1)
    ]
    assert text.count("2026-Q3·") == len(reader.pages)
