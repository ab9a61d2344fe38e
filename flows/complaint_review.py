"""The ``complaint-review`` deployment: the trend analysis of a period (ISO 10002 8.2-8.4).

Quality leads schedule it (a month, a quarter or a year, the last complete one by
default) or run it now for any days. It reads our own records, keeps the review with
its PDF and CSV, mails it to each recipient in their language, and adds a version to
the scope's keyed artifact. Parameters are periods and keys: no personal data.
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow, get_run_logger

from complaints.reviews.figures import Filters
from flows.run_logs import quiet_run_logs
from tasks.journal import forget_current_run
from tasks.mail import deliver_mail
from tasks.reviews import issue_review, publish_review_artifact

quiet_run_logs()


@flow(name="complaint-review", persist_result=True)
async def complaint_review(
    period: str = "month",
    first_day: date | None = None,
    last_day: date | None = None,
    recipients: list[str] | None = None,
    department: str | None = None,
    product_family: str | None = None,
    as_of: datetime | None = None,
) -> str:
    """Analyse a period and send the report.

    ``period``: "month", "quarter" or "year" (the last complete one before ``as_of``, or
    the one that starts on ``first_day``), or "days" from ``first_day`` to ``last_day``.
    ``recipients``: person keys of the organization file (default: the quality leads).
    """
    filters = Filters(department=department, product_family=product_family)
    issued = issue_review(period, first_day, last_day, as_of, recipients or [], filters)
    await deliver_mail(issued.message_ids)
    await publish_review_artifact(issued.review_id, issued.reference)
    get_run_logger().info(
        "review %s issued: %d emails queued", issued.reference, len(issued.message_ids)
    )
    forget_current_run()
    return issued.reference
