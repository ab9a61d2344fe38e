"""Issuing a trend analysis: kept once per key, mailed to each reader in their language
with the charts inside the email and the PDF, CSV and XLSX attached."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.mail import outbox
from complaints.mail.mime import stored_file_reader
from complaints.models import OutboxMessage, Review, ReviewFile
from complaints.reviews.figures import Filters
from complaints.reviews.issue import UnknownRecipient, issue_trend_review, reference_of
from complaints.settings import Settings
from tests.conftest import migrated_database
from tests.support.review_data import COMPLAINANT_EMAIL, COMPLAINANT_NAME, MARCH, ORG, load

NOW = datetime(2025, 4, 1, 0, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def issued_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sessionmaker[Session], Settings]]:
    folder = tmp_path_factory.mktemp("issue")
    with migrated_database(backend, folder) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
        yield sessions, Settings(upload_dir=Path(folder) / "uploads")


def _issue(sessions: sessionmaker[Session], settings: Settings, key: str) -> list[object]:
    with sessions.begin() as session:
        issued = issue_trend_review(
            session,
            ORG,
            settings,
            key=key,
            period=MARCH,
            filters=Filters(),
            recipients=["tom-hughes", "zhang-min"],
            now=NOW,
        )
    return [issued.review_id, issued.reference, sorted(issued.message_ids)]


def test_a_review_is_issued_once_per_key(
    issued_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = issued_db
    first = _issue(sessions, settings, "test:once")
    again = _issue(sessions, settings, "test:once")
    assert again == first
    assert first[1] == reference_of(MARCH, Filters()) == "TA-2025-03"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Review)) == 1
        files = session.scalars(select(ReviewFile)).all()
        # A CSV and an XLSX, and per language (English, Chinese) a PDF and three charts.
        assert sorted(f.content_type for f in files).count("application/pdf") == 2
        assert sum(f.content_type == "text/csv" for f in files) == 1
        assert sum(f.filename == "TA-2025-03.xlsx" for f in files) == 1
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == "review_report")
            )
            == 2
        )


def test_each_reader_gets_charts_inside_and_the_files_attached(
    issued_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = issued_db
    _issue(sessions, settings, "test:mail")
    with sessions() as session:
        review = session.scalars(select(Review).where(Review.key == "test:mail")).one()
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.like(f"review:{review.id}:%"))
        ).all()
        by_reader = {row.recipient: row for row in rows}
        english = outbox.build_message(
            by_reader["tom.hughes@acme.example"],
            "complaints@acme.example",
            read_file=stored_file_reader(session, settings, None),
        )
        chinese = outbox.build_message(
            by_reader["zhang.min@acme.example"],
            "complaints@acme.example",
            read_file=stored_file_reader(session, settings, None),
        )
    assert english["Subject"] == "Complaint trend analysis TA-2025-03"
    assert str(chinese["Subject"]).startswith("投诉趋势分析")
    html = next(p for p in english.walk() if p.get_content_type() == "text/html")
    images = [p for p in english.walk() if p.get_content_type() == "image/png"]
    assert images and all(
        f"cid:{str(p['Content-ID']).strip('<>')}" in html.get_content() for p in images
    )
    assert all(p.get_content_disposition() == "inline" for p in images)
    pdf = next(p for p in chinese.walk() if p.get_content_type() == "application/pdf")
    pages = PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages
    text = "".join(page.extract_text() for page in pages).replace("\x00", "")
    assert "投诉趋势分析" in text
    plain = english.get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "Complaints received: 7" in body and "TA-2025-03.csv" in body
    assert "TA-2025-03.xlsx" in body
    assert COMPLAINANT_NAME not in body and COMPLAINANT_EMAIL not in body
    # The spreadsheet holds the CSV's rows; its flags sum to the figures.
    xlsx = next(p for p in english.walk() if p.get_filename() == "TA-2025-03.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.get_payload(decode=True)), read_only=True).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[:4] == ("reference", "received_at", "closed_at", "new_in_period")
    new = [r for r in rows if r[header.index("new_in_period")] == 1]
    closed = sum(int(r[header.index("closed_in_period")] or 0) for r in rows)
    assert (len(rows), len(new), closed) == (9, 7, 3)
    assert COMPLAINANT_NAME not in str(rows) and COMPLAINANT_EMAIL not in str(rows)


def test_a_recipient_the_organization_does_not_know_is_refused(
    issued_db: tuple[sessionmaker[Session], Settings],
) -> None:
    sessions, settings = issued_db
    with sessions.begin() as session, pytest.raises(UnknownRecipient, match="nobody"):
        issue_trend_review(
            session,
            ORG,
            settings,
            key="test:refused",
            period=MARCH,
            filters=Filters(),
            recipients=["nobody"],
            now=NOW,
        )
