"""The trail's events are shown in Prefect once, by whichever writer claims them first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from complaints.audit import record_event
from complaints.db import make_engine
from complaints.enums import EventKind
from complaints.models import Complaint
from complaints.ops.run_view import claim_events
from tests.conftest import migrated_database
from tests.support.review_data import load


@pytest.fixture(scope="module")
def trail_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with migrated_database(backend, tmp_path_factory.mktemp("trail")) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions


def test_each_event_is_claimed_once_whoever_comes_second(
    trail_db: sessionmaker[Session],
) -> None:
    with trail_db.begin() as session:
        complaint = session.scalars(select(Complaint).order_by(Complaint.reference)).first()
        assert complaint is not None
        record_event(session, complaint.id, EventKind.STEP_REMINDED, data={"key": "assessment-1"})
        record_event(
            session,
            complaint.id,
            EventKind.REPORT_ISSUED,
            data={"key": "report-x", "language": "en", "people": ["li-wei"]},
        )
        complaint_id = complaint.id
    with trail_db.begin() as first:
        mine = first.get_one(Complaint, complaint_id)
        seen = mine.published_seq
        shown = claim_events(first, mine)
    # The other writer read the complaint before the claim above (its published_seq is
    # the one it saw): its compare-and-set finds the events claimed.
    with trail_db.begin() as second:
        theirs = second.get_one(Complaint, complaint_id)
        set_committed_value(theirs, "published_seq", seen)
        assert claim_events(second, theirs) == []
    names = [e.name for e in shown]
    assert names[-2:] == ["complaint.step.reminded", "complaint.report.issued"]
    # Only the keys that may travel: never the people a notice went to.
    assert shown[-1].payload == {"key": "report-x", "language": "en"}
    with trail_db() as session:
        assert claim_events(session, session.get_one(Complaint, complaint_id)) == []
