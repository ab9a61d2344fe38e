"""The ``trend-watch`` deployment: once a day, complaints that recur on one product family
with one cause category are told to the quality leads (ISO 10002 8.2), with a link to
review them, and emitted as ``complaint.trend.breach`` events."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from flows.run_logs import quiet_run_logs
from tasks.journal import forget_current_run
from tasks.mail import deliver_mail
from tasks.trends import check_trends, emit_trend_breach

quiet_run_logs()


@flow(name="trend-watch", persist_result=True)
async def trend_watch(as_of: datetime | None = None) -> int:
    """Look for recurrences as of now (``as_of`` moves the clock); return how many."""
    summary = check_trends(as_of)
    if summary.message_ids:
        await deliver_mail(summary.message_ids)
    for breach in summary.breaches:
        emit_trend_breach(breach)
    get_run_logger().info("%d recurrences told to the quality leads", len(summary.breaches))
    forget_current_run()
    return len(summary.breaches)
