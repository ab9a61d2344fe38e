"""The ``deadline-watch`` deployment: reminders and escalations for every waiting step,
and the overview artifact (``complaints-overview``) operators read at a glance.

Deadlines are watched outside the suspended complaint runs, on a schedule; a suspended
run's own timeout never decides a complaint's fate.
"""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from flows.run_logs import quiet_run_logs
from tasks.deadlines import check_deadlines, show_notice, watch_mail
from tasks.journal import forget_current_run
from tasks.mail import deliver_mail
from tasks.overview import publish_overview

quiet_run_logs()


@flow(name="deadline-watch", persist_result=True)
async def deadline_watch(as_of: datetime | None = None) -> int:
    """Remind owners before steps are due and escalate those overdue; ``as_of`` moves the clock."""
    summary = check_deadlines(as_of)
    if summary.message_ids:
        await deliver_mail(summary.message_ids)
    for step in summary.noticed:
        await show_notice(step)
    await publish_overview(as_of)
    watch_mail(as_of)
    get_run_logger().info(
        "%d emails queued (%d overdue steps, %d complainant status updates), "
        "%d stale reminders skipped",
        len(summary.message_ids),
        sum(step.event != "reminded" for step in summary.noticed),
        summary.status_updates,
        summary.superseded,
    )
    forget_current_run()
    return len(summary.message_ids)
