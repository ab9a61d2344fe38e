"""What the flow runs log: what an operator reads, and a person's step is not an error.

Prefect's async engine logs every run that ends in a state other than Completed at ERROR,
so each suspension for a human step ("Finished in state Suspended") would read as a
failure to operators. A suspension is the normal way a complaint waits: it is logged at
INFO; failures and crashes stay errors.

Every task run would also log its creation and its end at INFO, a few lines per task on
every execution of a run, kept in Prefect's database. The task runs themselves show in
the UI; their logs are kept from WARNING up (retries, failures).
"""

from __future__ import annotations

import logging

FLOW_RUN_LOGGER = "prefect.flow_runs"
TASK_RUN_LOGGER = "prefect.task_runs"
SUSPENDED = "Finished in state Suspended"


class SuspensionIsNoError(logging.Filter):
    """Log the end of a run's execution at a suspension at INFO, not ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith(SUSPENDED):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


def quiet_run_logs() -> None:
    """Log suspensions at INFO and task runs from WARNING up (once per process)."""
    logger = logging.getLogger(FLOW_RUN_LOGGER)
    if not any(isinstance(f, SuspensionIsNoError) for f in logger.filters):
        logger.addFilter(SuspensionIsNoError())
    logging.getLogger(TASK_RUN_LOGGER).setLevel(logging.WARNING)
