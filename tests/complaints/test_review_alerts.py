"""The daily trend alert against the data set of tests/support/review_data.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.models import OutboxMessage
from complaints.organization import Organization
from complaints.reviews.alerts import recurrence_breaches, tell_quality_leads
from complaints.settings import Settings
from tests.conftest import migrated_database
from tests.support.review_data import COMPLAINANT_EMAIL, ORG, load, local

# Two complaints on kitchen appliances with a material cause (A, 3 March; B, 5 March):
# a breach once two are enough within 30 days.
TWO_IN_A_MONTH = ORG.model_copy(
    update={"reviews": ORG.reviews.model_copy(update={"alert_at_least": 2})}
)


@pytest.fixture(scope="module")
def alerts_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with migrated_database(backend, tmp_path_factory.mktemp("alerts")) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions


def _breaches(
    sessions: sessionmaker[Session], org: Organization, day: int
) -> list[tuple[str, str, int]]:
    with sessions() as session:
        found = recurrence_breaches(session, org, as_of=local(3, day, 12))
    return [(b.family, b.cause_category, b.count) for b in found]


def test_a_recurrence_breaches_only_with_enough_complaints_in_the_window(
    alerts_db: sessionmaker[Session],
) -> None:
    # The causes are decided on 10 and 12 March: before then nothing is known.
    assert _breaches(alerts_db, TWO_IN_A_MONTH, 11) == []
    assert ("kitchen", "material", 2) in _breaches(alerts_db, TWO_IN_A_MONTH, 13)
    assert _breaches(alerts_db, ORG, 30) == []  # three are needed by default


def test_the_leads_are_told_once_per_window_with_a_link_to_review_it(
    alerts_db: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = Settings(public_url="https://complaints.example")
    with alerts_db.begin() as session:
        told, queued = tell_quality_leads(session, TWO_IN_A_MONTH, settings, as_of=local(3, 21, 12))
    # F and G share a method cause too, but F (10 February) is outside the 30 days.
    assert [b.reference for b in told] == ["kitchen/material"]
    with alerts_db.begin() as session:
        again, more = tell_quality_leads(session, TWO_IN_A_MONTH, settings, as_of=local(3, 22))
    assert again == [] and more == []  # the same breaches, within their window
    with alerts_db() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(queued))).all()
    lead = next(r for r in rows if "kitchen/material" in r.subject)
    assert lead.recipient == "zhang.min@acme.example"
    assert "重复投诉" in lead.subject and "厨房电器" in lead.body_text and "材料" in lead.body_text
    assert "C-2025-000003" in lead.body_text  # A, by reference
    assert (
        "https://complaints.example/reviews?period=days&first_day=2025-02-19"
        "&last_day=2025-03-21&product_family=kitchen#run"
    ) in lead.body_text
    assert COMPLAINANT_EMAIL not in lead.body_text
    later = local(3, 21, 12) + timedelta(days=31)
    with alerts_db.begin() as session:
        outside, _ = tell_quality_leads(session, TWO_IN_A_MONTH, settings, as_of=later)
    assert outside == []  # by then the complaints are out of the window
