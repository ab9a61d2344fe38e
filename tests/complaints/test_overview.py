"""The deadline watch's overview, against the data set of tests/support/review_data.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.ops.overview import overview_markdown
from tests.conftest import migrated_database
from tests.support.review_data import COMPLAINANT_EMAIL, COMPLAINANT_NAME, load, local


@pytest.fixture(scope="module")
def overview_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with migrated_database(backend, tmp_path_factory.mktemp("overview")) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions


def test_the_overview_counts_open_complaints_overdue_steps_and_mail(
    overview_db: sessionmaker[Session],
) -> None:
    with overview_db() as session:
        text = overview_markdown(session, local(4, 1, 12))
        again = overview_markdown(session, local(4, 1, 12))
    # Open: H, B, D, E, G and J (all still in assessment in the data set).
    assert "| assessment | 6 |" in text
    # Overdue at noon on 1 April: D's assessment (due 21 March); E's is due that evening.
    assert "| production | anna-berg | 1 |" in text
    waiting = text.split("longest-waiting steps")[1].split("##")[0]
    assert waiting.index("C-2025-000008") < waiting.index("C-2025-000009")  # D before E
    assert "- mail waiting: 7" in text and "- mail failed: 0" in text
    assert COMPLAINANT_NAME not in text and COMPLAINANT_EMAIL not in text
    assert again == text  # the same facts, the same text: no new version
