"""The rows one generated complaint leaves behind: the complaint, its classification, its
acknowledgement and the steps it went through with their decisions (see history.py)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from complaints.enums import (
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
from complaints.organization import Organization
from complaints.taxonomy import SUBCATEGORY_SEPARATOR

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
        # Nothing generated waits: a step nobody decided (a survey not answered) is cancelled.
        "status": (StepStatus.DECIDED if decided else StepStatus.CANCELLED).value,
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


@dataclass(frozen=True)
class Fate:
    """What happens to one generated complaint: ours or not, and when it closed."""

    complaint_id: uuid.UUID
    received: datetime
    ours: bool
    closed: datetime


def complaint_rows(
    rng: random.Random, org: Organization, number: int, received: datetime, now: datetime
) -> Rows:
    """Return the rows of the ``number``th complaint, received then, as seen at ``now``."""
    rows = Rows()
    product = rng.choice(PRODUCTS)
    ours = rng.random() < 0.85
    # Closed by now, every one: an open complaint is one the live deadline watch reminds
    # and escalates and whose complainant it tells the news, as it does a real one.
    closed = min(received + timedelta(days=rng.uniform(3, 40)), now)
    fate = Fate(uuid.uuid4(), received, ours, closed)
    grade = rng.choices(list(Grade), weights=[3, 6, 1])[0]
    rows.complaints.append(_complaint(rng, org, fate, number, product, grade))
    assessed, category = _classified(rng, org, fate, rows)
    rows.outbox.append(_acknowledgement(rng, fate, number))
    rows.steps.append(
        _step(
            fate.complaint_id,
            StepKind.ASSESSMENT,
            received,
            due=timedelta(hours=24),
            took=assessed,
            decision={"ours": ours, "valid": True, "grade": grade.value, "category": category},
        )
    )
    if ours:
        _handled(rng, fate, now, rows.steps)
    return rows


def _complaint(
    rng: random.Random, org: Organization, fate: Fate, number: int, product: str, grade: Grade
) -> dict[str, Any]:
    chinese = any("\u4e00" <= c <= "\u9fff" for c in product)
    department = org.department_for(product)
    resolution = Resolution.RESOLVED if fate.ours else Resolution.NOT_OURS
    return {
        "id": fate.complaint_id,
        "reference": f"DEMO-{fate.received.year}-{number:06d}",
        "received_at": fate.received,
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
        "stage": Stage.CLOSED.value,
        "grade": grade.value,
        "resolution": resolution.value,
        "closed_at": fate.closed,
        "clock_paused_seconds": 0,
        "run_status": RunStatus.STARTED.value,
        "run_start_attempts": 1,
    }


def _classified(
    rng: random.Random, org: Organization, fate: Fate, rows: Rows
) -> tuple[timedelta, str]:
    """Classify the complaint (a sub-category, mostly, where its category has some);
    return how long the assessment took and the category."""
    categories = list(org.classification.categories) or ["product-defect"]
    assessed = _hours(rng, 6, 0.8)
    category = rng.choices(categories, weights=[8, 2, 3, 2, 1][: len(categories)])[0]
    subcategories = list(org.classification.categories[category].subcategories)
    if subcategories and rng.random() < 0.8:
        category = f"{category}{SUBCATEGORY_SEPARATOR}{rng.choice(subcategories)}"
    rows.classifications.append(
        {
            "complaint_id": fate.complaint_id,
            "category": category,
            "at": fate.received + assessed,
            "by": "demo",
            "reason": "",
        }
    )
    return assessed, category


def _acknowledgement(rng: random.Random, fate: Fate, number: int) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "dedup_key": f"demo-ack:{fate.complaint_id}",
        "complaint_id": fate.complaint_id,
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
        "next_attempt_at": fate.received,
        "created_at": fate.received,
        "sent_at": fate.received + timedelta(minutes=rng.uniform(0.2, 90)),
    }


def _handled(rng: random.Random, fate: Fate, now: datetime, steps: list[dict[str, Any]]) -> None:
    """The steps of a complaint that is ours: containment, the cause, the actions, and
    the answer and the follow-up."""
    received, complaint_id = fate.received, fate.complaint_id
    contained = _hours(rng, 30, 0.5)
    steps.append(
        _step(
            complaint_id,
            StepKind.CONTAINMENT,
            received,
            due=timedelta(hours=48),
            took=min(contained, now - received),
            decision={"measures": []},
        )
    )
    analysed_at = min(received + contained + _hours(rng, 72, 0.6), now)
    cause = rng.choices(list(IshikawaCategory), weights=[3, 3, 5, 4, 1, 1])[0]
    scope = ProblemScope.SYSTEMIC if rng.random() < 0.15 else ProblemScope.SINGLE
    steps.append(
        _step(
            complaint_id,
            StepKind.CAUSE_ANALYSIS,
            received + contained,
            due=timedelta(days=5),
            took=analysed_at - received - contained,
            decision={"category": cause.value, "scope": scope.value},
        )
    )
    for n in range(1, rng.choice([1, 1, 2, 3]) + 1):
        took = min(_hours(rng, 200, 0.5), now - analysed_at)
        steps.append(
            _step(
                complaint_id,
                StepKind.ACTION,
                analysed_at,
                due=timedelta(days=14),
                took=took,
                decision={"note": "done"},
                n=n,
            )
        )
    _followed_up(rng, complaint_id, fate.closed, now, steps)


def _followed_up(
    rng: random.Random,
    complaint_id: uuid.UUID,
    closed: datetime,
    now: datetime,
    steps: list[dict[str, Any]],
) -> None:
    """The answer accepted (or not), the survey and the effectiveness check."""
    decision = {"accepted": rng.random() < 0.8}
    steps.append(
        _step(
            complaint_id,
            StepKind.RESPONSE_DECISION,
            closed - timedelta(days=2),
            due=timedelta(days=14),
            took=timedelta(hours=20),
            decision=decision,
        )
    )
    answered = rng.random() < 0.6 and closed + timedelta(days=3) <= now
    took = timedelta(days=3) if answered else None
    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 4])[0]
    steps.append(
        _step(
            complaint_id,
            StepKind.SURVEY,
            closed,
            due=timedelta(days=14),
            took=took,
            decision={"score": score},
        )
    )
    steps.append(
        _step(
            complaint_id,
            StepKind.EFFECTIVENESS,
            closed - timedelta(days=1),
            due=timedelta(days=5),
            took=min(timedelta(hours=30), now - closed + timedelta(days=1)),
            decision={"effective": rng.random() < 0.9},
        )
    )
