"""Benchmark: the trend analysis over a long history, against a COUNT(*) of the same rows.

    .venv/bin/python bench/review.py [COMPLAINTS]

Generates COMPLAINTS (100,000 by default) complaints over two years with
scripts/history.py into a fresh database (PostgreSQL when COMPLAINTS_TEST_POSTGRES_URL
names a server, else SQLite), then times, for the last month, quarter and year: the
analysis (every figure, in SQL), the CSV's rows, the charts and the PDF in one language.
The baseline, in the same run, is one ``COUNT(*)`` over the complaints and one over the
steps. Prints figures only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.db import make_engine  # noqa: E402
from complaints.enums import Locale  # noqa: E402
from complaints.migrate import upgrade  # noqa: E402
from complaints.models import Complaint, Step  # noqa: E402
from complaints.organization import load_organization  # noqa: E402
from complaints.reviews.analysis import analyse  # noqa: E402
from complaints.reviews.charts import review_charts  # noqa: E402
from complaints.reviews.export import review_csv, review_rows  # noqa: E402
from complaints.reviews.figures import Filters, Period  # noqa: E402
from complaints.reviews.pdf import render_review_pdf  # noqa: E402
from complaints.reviews.periods import PeriodKind, calendar_period  # noqa: E402
from complaints.reviews.view import review_content  # noqa: E402
from complaints.settings import PROJECT_DIR  # noqa: E402
from scripts.history import generate  # noqa: E402
from tests.support.databases import POSTGRES_URL, postgres_database  # noqa: E402

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
# A fixed end of the history: the figures do not depend on the day the benchmark runs.
NOW = datetime(2026, 7, 1, tzinfo=UTC)


def _timed(work: object) -> float:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - start


def _review(session: Session, period: Period) -> dict[str, float]:
    figures = None

    def analysis() -> None:
        nonlocal figures
        figures = analyse(session, ORG, period, Filters())

    times = {"analysis": _timed(analysis)}
    times["csv"] = _timed(
        lambda: review_csv(review_rows(session, period, Filters(), ORG.zone_of()))
    )
    charts: list[object] = []
    times["charts"] = _timed(lambda: charts.extend(review_charts(figures, ORG, Locale.EN)))  # type: ignore[arg-type]
    times["pdf"] = _timed(
        lambda: render_review_pdf(review_content(figures, ORG, Locale.EN), charts)  # type: ignore[arg-type]
    )
    times["new"] = figures.counts.new  # type: ignore[union-attr]
    return times


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, postgres_database("bench_review") as pg:
        url = pg or f"sqlite:///{Path(tmp) / 'review.db'}"
        upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        generate(engine, ORG, count=count, days=730, now=NOW)
        generated = time.perf_counter() - started
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("ANALYZE"))
        backend = "PostgreSQL" if POSTGRES_URL else "SQLite"
        print(f"review benchmark: {count} complaints over two years, {backend}")
        print(f"generated in {generated:.1f} s")
        with Session(engine) as session:
            steps = session.scalar(select(func.count()).select_from(Step))
            baseline = _timed(lambda: session.scalar(select(func.count()).select_from(Complaint)))
            baseline += _timed(lambda: session.scalar(select(func.count()).select_from(Step)))
            print(f"baseline: COUNT(*) of {count} complaints and {steps} steps   {baseline:7.3f} s")
            zone = ORG.zone_of()
            for kind, first in (
                (PeriodKind.MONTH, date(2026, 6, 1)),
                (PeriodKind.QUARTER, date(2026, 4, 1)),
                (PeriodKind.YEAR, date(2025, 1, 1)),
            ):
                period = calendar_period(kind, first, zone)
                t = _review(session, period)
                total = t["analysis"] + t["csv"] + t["charts"] + t["pdf"]
                print(
                    f"{kind.value:<8} {period.label:<8} {int(t['new']):>6} new  "
                    f"analysis {t['analysis']:6.2f} s  CSV {t['csv']:5.2f} s  "
                    f"charts {t['charts']:5.2f} s  PDF {t['pdf']:5.2f} s  total {total:6.2f} s"
                )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
