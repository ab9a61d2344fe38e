"""The ``privacy-retention`` deployment: once a day, personal data past its retention
(the organization file's ``[privacy]``) is erased in batches, the quality leads get a
report and operators an artifact, both in counts only."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger

from complaints.models import utcnow
from flows.run_logs import quiet_run_logs
from tasks.journal import forget_current_run
from tasks.mail import deliver_mail
from tasks.privacy import Counts, erase_expired_batch, publish_retention_artifact, report_retention

quiet_run_logs()
# A pass stops after this many batches even if more expired (the next day goes on).
MAX_BATCHES = 1000


@flow(name="privacy-retention", persist_result=True)
async def privacy_retention(as_of: datetime | None = None) -> dict[str, int]:
    """Erase what has expired as of now (``as_of`` moves the clock); return the counts."""
    moment = (as_of or utcnow()).replace(microsecond=0)
    totals, number = Counts(), 0
    while True:
        batch = erase_expired_batch(moment, number)
        totals, number = totals.plus(batch), number + 1
        if batch.empty or number >= MAX_BATCHES:
            break
    message_ids = report_retention(moment, totals)
    if message_ids:
        await deliver_mail(message_ids)
    await publish_retention_artifact(moment, totals)
    get_run_logger().info("retention: %s", totals.model_dump())
    forget_current_run()
    return totals.model_dump()
