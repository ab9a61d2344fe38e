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


@dataclass(frozen=True)
class Fate:
    """What happens to one generated complaint: ours or not, and when (if) it closed."""

    complaint_id: uuid.UUID
    received: datetime
    ours: bool
    closed: datetime | None


def complaint_rows(
    rng: random.Random, org: Organization, number: int, received: datetime, now: datetime
) -> Rows:
    """Return the rows of the ``number``th complaint, received then, as seen at ``now``."""
    rows = Rows()
    product = rng.choice(PRODUCTS)
    ours = rng.random() < 0.85
    open_ = (now - received < timedelta(days=30) and rng.random() < 0.6) or rng.random() < 0.03
    closed = None if open_ else received + timedelta(days=rng.uniform(3, 40))
    if closed is not None and closed > now:
        closed = None
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
        "stage": (Stage.CLOSED if fate.closed else Stage.CORRECTIVE_ACTION).value,
        "grade": grade.value,
        "resolution": resolution.value if fate.closed else None,
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
    once closed the answer and the follow-up."""
    received, complaint_id = fate.received, fate.complaint_id
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
        return
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
        done = rng.random() < 0.85 or fate.closed is not None
        took = _hours(rng, 200, 0.5) if done else None
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
    if fate.closed is not None:
        _followed_up(rng, complaint_id, fate.closed, steps)


def _followed_up(
    rng: random.Random, complaint_id: uuid.UUID, closed: datetime, steps: list[dict[str, Any]]
) -> None:
    """The answer accepted (or not), the survey and the effectiveness check."""
    answered = {"accepted": rng.random() < 0.8}
    steps.append(
        _step(
            complaint_id,
            StepKind.RESPONSE_DECISION,
            closed - timedelta(days=2),
            due=timedelta(days=14),
            took=timedelta(hours=20),
            decision=answered,
        )
    )
    took = timedelta(days=3) if rng.random() < 0.6 else None
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
            took=timedelta(hours=30),
            decision={"effective": rng.random() < 0.9},
        )
    )
