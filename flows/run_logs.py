"""What the flow runs log: a person's step is not an error.

Prefect's async engine logs every run that ends in a state other than Completed at ERROR,
so each suspension for a human step ("Finished in state Suspended") would read as a
failure to operators. A suspension is the normal way a complaint waits: it is logged at
INFO; failures and crashes stay errors.
"""

from __future__ import annotations

import logging

FLOW_RUN_LOGGER = "prefect.flow_runs"
SUSPENDED = "Finished in state Suspended"


class SuspensionIsNoError(logging.Filter):
    """Log the end of a run's execution at a suspension at INFO, not ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith(SUSPENDED):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


def quiet_suspensions() -> None:
    """Install the filter on Prefect's flow-run logger (once per process)."""
    logger = logging.getLogger(FLOW_RUN_LOGGER)
    if not any(isinstance(f, SuspensionIsNoError) for f in logger.filters):
        logger.addFilter(SuspensionIsNoError())
