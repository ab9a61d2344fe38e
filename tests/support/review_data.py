"""A data set for the trend analysis whose figures are worked out by hand in
tests/complaints/test_review_analysis.py: March 2025 in the sample organization's zone."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from complaints.classification import classify
from complaints.enums import (
    Channel,
    EventKind,
    Grade,
    Locale,
    Resolution,
    RunStatus,
    Stage,
    StepKind,
    StepStatus,
)
from complaints.models import Complaint, Event, OutboxMessage, Step, StepNotice
from complaints.organization import load_organization
from complaints.reviews.periods import PeriodKind, calendar_period
from complaints.settings import PROJECT_DIR

ORG = load_organization(PROJECT_DIR / "samples" / "organization.toml")
ZONE = ZoneInfo(ORG.timezone)  # Asia/Shanghai, UTC+8
MARCH = calendar_period(PeriodKind.MONTH, date(2025, 3, 1), ZONE)
# Every complaint of the data set is this person's: a scan for them finds leaks.
COMPLAINANT_NAME = "Ada Reviewsubject"
COMPLAINANT_EMAIL = "ada.reviewsubject@example.org"


def local(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class DataSet:
    """Complaints written straight into the records, as the flow would have left them."""

    def __init__(self, session: Session, series: str = "C-2025") -> None:
        self.session = session
        self.series = series  # reference prefix: data sets in one database never collide
        self.number = 0

    def complaint(
        self,
        received: datetime,
        product: str,
        *,
        channel: Channel = Channel.WEB,
        grade: Grade | None = None,
        closed: datetime | None = None,
        resolution: Resolution | None = None,
        ack_after: timedelta | None = None,
        ack_unsent: bool = False,
    ) -> Complaint:
        self.number += 1
        complaint = Complaint(
            id=uuid.uuid4(),
            reference=f"{self.series}-{self.number:06d}",
            received_at=received,
            complainant_name=COMPLAINANT_NAME,
            complainant_email=COMPLAINANT_EMAIL,
            locale=Locale.EN,
            channel=channel,
            product=product,
            product_family=ORG.classification.family_of(product),
            description="-",
            requested_remedy="-",
            department=ORG.department_for(product).key,
            handler="anna-berg",
            stage=Stage.CLOSED if closed else Stage.ASSESSMENT,
            grade=grade,
            resolution=resolution,
            closed_at=closed,
            run_status=RunStatus.STARTED,
        )
        self.session.add(complaint)
        self.session.flush()
        if ack_after is not None or ack_unsent:
            self.session.add(
                OutboxMessage(
                    dedup_key=f"ack:{complaint.id}",
                    complaint_id=complaint.id,
                    kind="acknowledgement",
                    recipient=COMPLAINANT_EMAIL,
                    recipient_name=COMPLAINANT_NAME,
                    subject="-",
                    body_text="-",
                    body_html="-",
                    message_id=f"<{uuid.uuid4()}@test>",
                    created_at=received,
                    sent_at=None if ack_unsent else received + (ack_after or timedelta()),
                )
            )
        return complaint

    def step(
        self,
        complaint: Complaint,
        kind: StepKind,
        opened: datetime,
        *,
        due: datetime | None = None,
        decided: datetime | None = None,
        decision: dict[str, Any] | None = None,
    ) -> Step:
        key = f"{kind.value}-{uuid.uuid4().hex[:8]}"
        step = Step(
            complaint_id=complaint.id,
            kind=kind,
            key=key,
            assignee="anna-berg",
            status=StepStatus.DECIDED if decided else StepStatus.OPEN,
            opened_at=opened,
            due_at=due,
            decided_at=decided,
            decision=decision if decided else None,
        )
        self.session.add(step)
        self.session.flush()
        return step

    def assessed(self, complaint: Complaint, after_hours: float, category: str = "") -> None:
        received = complaint.received_at
        decided = received + timedelta(hours=after_hours)
        self.step(
            complaint,
            StepKind.ASSESSMENT,
            received,
            due=received + timedelta(hours=24),
            decided=decided,
            decision={"ours": True, "valid": True, "category": category},
        )
        if category:
            classify(self.session, complaint.id, category, by="anna-berg", at=decided)

    def contained(self, complaint: Complaint, after_hours: float) -> Step:
        received = complaint.received_at
        return self.step(
            complaint,
            StepKind.CONTAINMENT,
            received,
            due=received + timedelta(hours=48),
            decided=received + timedelta(hours=after_hours),
            decision={"measures": []},
        )

    def cause(self, complaint: Complaint, at: datetime, category: str, scope: str) -> None:
        self.step(
            complaint,
            StepKind.CAUSE_ANALYSIS,
            at - timedelta(days=1),
            decided=at,
            decision={"category": category, "scope": scope},
        )

    def event(self, complaint: Complaint, kind: EventKind, at: datetime) -> None:
        self.session.add(
            Event(
                complaint_id=complaint.id,
                seq=1,
                at=at,
                kind=kind.value,
                actor="zhang-min",
                channel="email_link",
                data={},
                prev_hash="0" * 64,
                hash="1" * 64,
            )
        )


def load(session: Session) -> None:
    """The data set; each complaint's part in the expected figures is noted."""
    data = DataSet(session)
    # H: January, still open.
    h = data.complaint(local(1, 15), "Kettle", ack_after=timedelta(minutes=5))
    data.step(h, StepKind.SURVEY, local(2, 25), decided=local(3, 5), decision={"score": 2})
    # F: February, closed in March as referred; its answers, checks and actions.
    f = data.complaint(local(2, 10), "Kettle", closed=local(3, 2), resolution=Resolution.REFERRED)
    data.cause(f, local(2, 15), "method", "systemic")
    data.step(
        f,
        StepKind.RESPONSE_DECISION,
        local(2, 20),
        decided=local(2, 21),
        decision={"accepted": False},
    )
    data.step(
        f,
        StepKind.RESPONSE_DECISION,
        local(2, 22),
        decided=local(2, 23),
        decision={"accepted": True},
    )
    data.step(
        f, StepKind.EFFECTIVENESS, local(3, 10), decided=local(3, 15), decision={"effective": False}
    )
    data.step(f, StepKind.ACTION, local(2, 20), due=local(3, 10))  # open and late at the end
    data.step(f, StepKind.ACTION, local(3, 1), due=local(4, 15))  # open, not late
    data.step(
        f,
        StepKind.ACTION,
        local(2, 20),
        due=local(3, 1),
        decided=local(2, 28),
        decision={"note": "done"},
    )
    data.step(f, StepKind.SURVEY, local(3, 3), due=local(3, 17))  # asked, unanswered, overdue
    # A: product defect (corrected to safety in April), kitchen, material: recurring with B.
    a = data.complaint(
        local(3, 3, 10),
        "Electric kettle",
        grade=Grade.COMPLAINT,
        closed=local(3, 25),
        resolution=Resolution.RESOLVED,
        ack_after=timedelta(minutes=30),
    )
    data.assessed(a, 2, "product-defect")
    data.contained(a, 30)
    data.cause(a, local(3, 10), "material", "single")
    data.step(
        a,
        StepKind.RESPONSE_DECISION,
        local(3, 20),
        decided=local(3, 21),
        decision={"accepted": True},
    )
    data.step(
        a, StepKind.EFFECTIVENESS, local(3, 22), decided=local(3, 24), decision={"effective": True}
    )
    data.step(a, StepKind.SURVEY, local(3, 26), decided=local(3, 27), decision={"score": 5})
    classify(session, a.id, "safety", by="zhang-min", at=local(4, 5), reason="burn risk")
    # B: product defect, kitchen, material; late everywhere.
    b = data.complaint(
        local(3, 5),
        "Rice cooker",
        channel=Channel.EMAIL,
        grade=Grade.MAJOR_COMPLAINT,
        ack_after=timedelta(hours=3),
    )
    data.assessed(b, 30, "product-defect/electrical")  # a sub-category counts for its category
    data.contained(b, 60)
    data.cause(b, local(3, 12), "material", "single")
    # C: a heater, not ours; reopened, closed again; unclassified.
    c = data.complaint(
        local(3, 10),
        "Space heater",
        channel=Channel.PHONE,
        grade=Grade.GRUMBLE,
        closed=local(3, 18),
        resolution=Resolution.NOT_OURS,
        ack_after=timedelta(minutes=10),
    )
    data.assessed(c, 1)
    data.event(c, EventKind.COMPLAINT_REOPENED, local(3, 15))
    # G: kettle, safety, systemic; containment late and escalated; no acknowledgement row.
    g = data.complaint(local(3, 12), "Kettle", grade=Grade.COMPLAINT)
    data.assessed(g, 4, "safety")
    containment = data.contained(g, 96)
    session.add(
        StepNotice(step_id=containment.id, key="escalation-0", outcome="sent", at=local(3, 14))
    )
    session.add(
        StepNotice(step_id=containment.id, key="reminder-1", outcome="sent", at=local(3, 14, 8))
    )
    data.cause(g, local(3, 20), "method", "systemic")
    # J: a heater, service, man, single: one-off.
    j = data.complaint(
        local(3, 15), "Oil heater", grade=Grade.GRUMBLE, ack_after=timedelta(minutes=20)
    )
    data.assessed(j, 3, "service")
    data.contained(j, 20)
    data.cause(j, local(3, 20), "man", "single")
    # D: a fan, delivery; its assessment still open and overdue at the end.
    d = data.complaint(
        local(3, 20), "Desk fan", grade=Grade.COMPLAINT, ack_after=timedelta(minutes=5)
    )
    data.step(d, StepKind.ASSESSMENT, d.received_at, due=d.received_at + timedelta(hours=24))
    classify(session, d.id, "delivery", by="anna-berg", at=local(3, 20, 12))
    # E: the last evening of March; its assessment is due only in April; unsent ack.
    e = data.complaint(local(3, 31, 20), "Kettle", ack_unsent=True)
    data.step(e, StepKind.ASSESSMENT, e.received_at, due=e.received_at + timedelta(hours=24))
