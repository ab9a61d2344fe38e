"""The trend analysis as Markdown, for the keyed Prefect artifact operators see.

The same words as the email and the PDF (English), without the products: a product is
what the complainant typed, and nothing a complainant wrote reaches Prefect.
"""

from __future__ import annotations

import dataclasses
import re

from complaints.enums import Locale
from complaints.markdown import table
from complaints.organization import Organization
from complaints.report.view import Facts
from complaints.reviews.figures import Filters, TrendFigures
from complaints.reviews.view import review_content


def artifact_key(filters: Filters) -> str:
    """Return the artifact's key: one per scope, so each run adds a version to its history."""
    scope = "-".join(v for v in (filters.department, filters.product_family) if v) or "all"
    return re.sub(r"[^a-z0-9-]+", "-", f"complaint-review-{scope}".lower()).strip("-")


def review_markdown(figures: TrendFigures, org: Organization, reference: str) -> str:
    """Return the analysis as Markdown: the period, the scope, every section."""
    without_products = dataclasses.replace(
        figures, pareto={k: v for k, v in figures.pareto.items() if k != "product"}
    )
    content = review_content(without_products, org, Locale.EN)
    lines = [
        f"# {content.title} {reference}",
        "",
        f"**{content.period_label}:** {content.period} ({content.span})  ",
        f"**{content.scope_label}:** {content.scope}",
        "",
    ]
    if content.notice:
        lines += [f"_{content.notice}_", ""]
    for section in content.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if block.title:
                lines += [f"**{block.title}**", ""]
            if isinstance(block, Facts):
                lines += [f"- {fact.label}: {fact.value}" for fact in block.items]
            else:
                lines += table(block.columns, block.rows)
                continue
            lines.append("")
    return "\n".join(lines)
