"""Generate a history of complaints, clearly fake, straight into the records.

    .venv/bin/python scripts/history.py [COUNT] [DAYS]

For ``make demo`` (a year of history, so the first review a newcomer runs has
something to show) and the review benchmark (100,000 complaints). Each complaint is
what the flow leaves behind: the complaint, its classification, the steps it went
through with their decisions, the acknowledgement it was sent; about one in ten is
still open. Names and addresses say they are fake ("Demo person 17", "演示用户 17",
``@example.invalid``); references start with ``DEMO-``, so real ones never collide.
No audit events are written: the trail is for real complaints.
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from complaints.enums import (  # noqa: E402
    Channel,
    Grade,
    IshikawaCategory,
    Locale,
    ProblemScope,
    Resolution,
    RunStatus,
    Stage,
    StepKind,
    StepStatus,
)
from complaints.models import (  # noqa: E402
    Classification,
    Complaint,
    OutboxMessage,
    ShippedVolume,
    Step,
)
from complaints.organization import Organization  # noqa: E402
from complaints.taxonomy import SUBCATEGORY_SEPARATOR  # noqa: E402

PRODUCTS = [
    "Electric kettle K2",
    "电水壶 K3",
    "Rice cooker R5",
    "电饭煲 R7",
    "Space heater H1",
    "取暖器 H2",
    "Desk fan F3",
    "电风扇 F5",
    "Toaster T1",
]
BATCH = 2_000


@dataclass
class Rows:
    """The rows of one batch, per table."""

    complaints: list[dict[str, Any]] = field(default_factory=list)
    classifications: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)


def _step(
    complaint_id: uuid.UUID,
    kind: StepKind,
    opened: datetime,
    *,
    due: timedelta,
    took: timedelta | None,
    decision: dict[str, Any] | None = None,
    n: int = 1,
) -> dict[str, Any]:
    decided = opened + took if took is not None else None
    return {
        "id": uuid.uuid4(),
        "complaint_id": complaint_id,
        "kind": kind.value,
        "key": f"{kind.value}-{n}",
        "assignee": "demo",
        "status": (StepStatus.DECIDED if decided else StepStatus.OPEN).value,
        "opened_at": opened,
        "due_at": opened + due,
        "decided_at": decided,
        "decided_by": "demo" if decided else None,
        "decision": decision if decided else None,
        "details": {},
        "resume_attempts": 0,
    }


def _hours(rng: random.Random, typical: float, spread: float) -> timedelta:
    return timedelta(hours=max(0.1, rng.lognormvariate(0, spread) * typical))


def _complaint(
    rng: random.Random, org: Organization, number: int, received: datetime, now: datetime
) -> Rows:
    rows = Rows()
    complaint_id = uuid.uuid4()
    product = rng.choice(PRODUCTS)
    chinese = any("\u4e00" <= c <= "\u9fff" for c in product)
    ours = rng.random() < 0.85
    age = now - received
    open_ = (age < timedelta(days=30) and rng.random() < 0.6) or rng.random() < 0.03
    closed = None if open_ else received + timedelta(days=rng.uniform(3, 40))
    if closed is not None and closed > now:
        closed, open_ = None, True
    department = org.department_for(product)
    grade = rng.choices(list(Grade), weights=[3, 6, 1])[0]
    rows.complaints.append(
        {
            "id": complaint_id,
            "reference": f"DEMO-{received.year}-{number:06d}",
            "received_at": received,
            "complainant_name": f"演示用户 {number}" if chinese else f"Demo person {number}",
            "complainant_email": f"demo-{number}@example.invalid",
            "locale": (Locale.ZH_CN if chinese else Locale.EN).value,
            "channel": rng.choices(list(Channel), weights=[6, 3, 2, 1, 1])[0].value,
            "product": product,
            "product_family": org.classification.family_of(product),
            "description": "Generated for the demo: not a real complaint.",
            "requested_remedy": "-",
            "department": department.key,
            "handler": department.handlers[0],
            "stage": (Stage.CLOSED if closed else Stage.CORRECTIVE_ACTION).value,
            "grade": grade.value,
            "resolution": (
                (Resolution.RESOLVED if ours else Resolution.NOT_OURS).value if closed else None
            ),
            "closed_at": closed,
            "clock_paused_seconds": 0,
            "run_status": RunStatus.STARTED.value,
            "run_start_attempts": 1,
        }
    )
    categories = list(org.classification.categories) or ["product-defect"]
    assessed = _hours(rng, 6, 0.8)
    category = rng.choices(categories, weights=[8, 2, 3, 2, 1][: len(categories)])[0]
    subcategories = list(org.classification.categories[category].subcategories)
    if subcategories and rng.random() < 0.8:
        category = f"{category}{SUBCATEGORY_SEPARATOR}{rng.choice(subcategories)}"
    rows.classifications.append(
        {
            "complaint_id": complaint_id,
            "category": category,
            "at": received + assessed,
            "by": "demo",
            "reason": "",
        }
    )
    rows.outbox.append(
        {
            "id": uuid.uuid4(),
            "dedup_key": f"demo-ack:{complaint_id}",
            "complaint_id": complaint_id,
            "kind": "acknowledgement",
            "recipient": f"demo-{number}@example.invalid",
            "recipient_name": "Demo person",
            "subject": "Generated for the demo",
            "body_text": "-",
            "body_html": "-",
            "message_id": f"<{uuid.uuid4()}@demo.invalid>",
            "attachments": [],
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": received,
            "created_at": received,
            "sent_at": received + timedelta(minutes=rng.uniform(0.2, 90)),
        }
    )
    steps = rows.steps
    steps.append(
        _step(
            complaint_id,
            StepKind.ASSESSMENT,
            received,
            due=timedelta(hours=24),
            took=assessed,
            decision={"ours": ours, "valid": True, "grade": grade.value, "category": category},
        )
    )
    if not ours:
        return rows
    contained = _hours(rng, 30, 0.5)
    steps.append(
        _step(
            complaint_id,
            StepKind.CONTAINMENT,
            received,
            due=timedelta(hours=48),
            took=contained if received + contained < now else None,
            decision={"measures": []},
        )
    )
    analysed_at = received + contained + _hours(rng, 72, 0.6)
    if analysed_at > now:
        return rows
    steps.append(
        _step(
            complaint_id,
            StepKind.CAUSE_ANALYSIS,
            received + contained,
            due=timedelta(days=5),
            took=analysed_at - received - contained,
            decision={
                "category": rng.choices(list(IshikawaCategory), weights=[3, 3, 5, 4, 1, 1])[
                    0
                ].value,
                "scope": (
                    ProblemScope.SYSTEMIC if rng.random() < 0.15 else ProblemScope.SINGLE
                ).value,
            },
        )
    )
    for n in range(1, rng.choice([1, 1, 2, 3]) + 1):
        done = rng.random() < 0.85 or closed is not None
        steps.append(
            _step(
                complaint_id,
                StepKind.ACTION,
                analysed_at,
                due=timedelta(days=14),
                took=_hours(rng, 200, 0.5) if done else None,
                decision={"note": "done"},
                n=n,
            )
        )
    if closed is None:
        return rows
    accepted = rng.random() < 0.8
    steps.append(
        _step(
            complaint_id,
            StepKind.RESPONSE_DECISION,
            closed - timedelta(days=2),
            due=timedelta(days=14),
            took=timedelta(hours=20),
            decision={"accepted": accepted},
        )
    )
    steps.append(
        _step(
            complaint_id,
            StepKind.SURVEY,
            closed,
            due=timedelta(days=14),
            took=timedelta(days=3) if rng.random() < 0.6 else None,
            decision={"score": rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 4])[0]},
        )
    )
    steps.append(
        _step(
            complaint_id,
            StepKind.EFFECTIVENESS,
            closed - timedelta(days=1),
            due=timedelta(days=5),
            took=timedelta(hours=30),
            decision={"effective": rng.random() < 0.9},
        )
    )
    return rows


def _batches(
    org: Organization, count: int, start: datetime, end: datetime, seed: int
) -> Iterator[Rows]:
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    batch = Rows()
    for number, received in enumerate(moments, 1):
        one = _complaint(rng, org, number, received, end)
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
