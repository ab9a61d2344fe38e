"""Generate a history of complaints, clearly fake, straight into the records.

    .venv/bin/python scripts/history.py [COUNT] [DAYS]

For ``make demo`` (a year of history, so the first review a newcomer runs has
something to show) and the review benchmark (100,000 complaints). Each complaint is
what the flow leaves behind: the complaint, its classification, the steps it went
through with their decisions, the acknowledgement it was sent. Every one is closed by
now and nothing generated waits (a survey nobody answered is cancelled): the live
deadline watch would otherwise remind and escalate it, as it does a real complaint; a
past period still has complaints open at its end. Names and addresses say they are
fake ("Demo person 17", "演示用户 17", ``@example.invalid``); references start with
``DEMO-``, so real ones never collide.
No audit events are written: the trail is for real complaints.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.models import (  # noqa: E402
    Classification,
    Complaint,
    OutboxMessage,
    ShippedVolume,
    Step,
)
from complaints.organization import Organization  # noqa: E402
from scripts.history_rows import Rows, complaint_rows  # noqa: E402

BATCH = 2_000
RECEIVED_DAYS_BEFORE_END = 4


def _batches(
    org: Organization, count: int, start: datetime, end: datetime, seed: int
) -> Iterator[Rows]:
    rng = random.Random(seed)
    # Received days before the end at the latest: each is answered and closed by it.
    span = (end - start - timedelta(days=RECEIVED_DAYS_BEFORE_END)).total_seconds()
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    batch = Rows()
    for number, received in enumerate(moments, 1):
        one = complaint_rows(rng, org, number, received, end)
        for name in ("complaints", "classifications", "steps", "outbox"):
            getattr(batch, name).extend(getattr(one, name))
        if len(batch.complaints) >= BATCH:
            yield batch
            batch = Rows()
    if batch.complaints:
        yield batch


def generate(
    engine: Engine, org: Organization, *, count: int, days: int, now: datetime, seed: int = 2026
) -> int:
    """Insert ``count`` complaints received over the ``days`` before ``now``; return the count."""
    tables = [
        (Complaint, "complaints"),
        (Classification, "classifications"),
        (Step, "steps"),
        (OutboxMessage, "outbox"),
    ]
    with engine.begin() as connection:
        for batch in _batches(org, count, now - timedelta(days=days), now, seed):
            for model, name in tables:
                connection.execute(insert(model.__table__), getattr(batch, name))  # type: ignore[arg-type]
        volumes = _volumes(org, now - timedelta(days=days), now, seed)
        if volumes:
            connection.execute(insert(ShippedVolume.__table__), volumes)  # type: ignore[arg-type]
    return count


def _volumes(org: Organization, start: datetime, end: datetime, seed: int) -> list[dict[str, Any]]:
    """Units shipped per product family and local month of the span (rates per unit)."""
    rng = random.Random(seed + 1)
    zone = org.zone_of()
    days = (end - start).days + 1
    months = sorted({f"{(start + timedelta(days=d)).astimezone(zone):%Y-%m}" for d in range(days)})
    return [
        {
            "product_family": family,
            "month": month,
            "units": round(rng.uniform(8_000, 30_000)),
            "recorded_by": "demo",
            "recorded_at": end,
        }
        for family in org.classification.product_families
        for month in months
    ]


def main(count: int, days: int) -> None:
    from complaints.db import make_engine
    from complaints.migrate import upgrade
    from complaints.organization import load_organization
    from complaints.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    org = load_organization(settings.organization_file)
    made = generate(
        make_engine(settings.database_url), org, count=count, days=days, now=datetime.now(UTC)
    )
    print(f"{made} demo complaints over {days} days in {settings.database_url.split('://')[0]}")


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_200,
        int(sys.argv[2]) if len(sys.argv) > 2 else 365,
    )
