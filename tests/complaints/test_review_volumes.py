"""Rates per unit (ISO 10002 8.2): units shipped per product family and month, read from a
quality lead's CSV, and each family's complaints per million units in a review."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from complaints.db import make_engine
from complaints.enums import Locale
from complaints.reviews.analysis import analyse
from complaints.reviews.figures import Filters, Rate
from complaints.reviews.periods import between
from complaints.reviews.view import review_content
from complaints.reviews.volumes import (
    Volume,
    VolumesRefused,
    month_shares,
    parse_volumes,
    record_volumes,
)
from tests.conftest import migrated_database
from tests.support.review_data import MARCH, ORG, ZONE, load

AT = datetime(2025, 4, 1, tzinfo=UTC)
VOLUMES = (
    "\ufeffproduct_family,month,units\r\n"
    "kitchen,2025-03,40000\r\n"
    "climate,2025-03,12000\r\n"
    "kitchen,2025-04,30000\r\n"
    "climate,2025-02,999\r\n"
).encode()


@pytest.fixture(scope="module")
def reviewed(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    with migrated_database(backend, tmp_path_factory.mktemp("volumes")) as url:
        sessions = sessionmaker(make_engine(url), expire_on_commit=False)
        with sessions.begin() as session:
            load(session)
            record_volumes(session, parse_volumes(VOLUMES, ORG), by="zhang-min", at=AT)
        yield sessions


def test_a_volumes_file_is_read_and_a_family_month_sent_again_replaces_it() -> None:
    again = VOLUMES + b"kitchen,2025-03,41000\n\n"
    volumes = parse_volumes(again, ORG)
    assert Volume("kitchen", "2025-03", 41000) in volumes
    assert len(volumes) == 4


def test_a_bad_volumes_file_is_refused_whole_with_each_line_named() -> None:
    bad = b"product_family,month,units\nkitchen,2025-3,10\nboats,2025-03,1\nclimate,2025-03,-4\n"
    with pytest.raises(VolumesRefused) as refused:
        parse_volumes(bad, ORG)
    assert refused.value.problems == [
        (2, "review.volumes.error.month"),
        (3, "review.volumes.error.family"),
        (4, "review.volumes.error.units"),
    ]
    for data, problem in (
        (b"family,month,units\n", "review.volumes.error.header"),
        (b"product_family,month,units\n", "review.volumes.error.empty"),
        (b"\xff\xfe", "review.volumes.error.encoding"),
        (b"product_family,month,units\nkitchen,2025-03\n", "review.volumes.error.columns"),
    ):
        with pytest.raises(VolumesRefused) as refused:
            parse_volumes(data, ORG)
        assert refused.value.problems[0][1] == problem


def test_a_period_takes_the_share_of_each_month_it_covers() -> None:
    assert month_shares(MARCH, ZONE) == {"2025-03": 1.0}
    # 16 of March's 31 days and 15 of April's 30, in the organization's zone.
    span = between(date(2025, 3, 16), date(2025, 4, 15), ZONE)
    assert month_shares(span, ZONE) == {"2025-03": 16 / 31, "2025-04": 15 / 30}


def test_a_review_shows_complaints_per_million_units_per_family(
    reviewed: sessionmaker[Session],
) -> None:
    with reviewed() as session:
        figures = analyse(session, ORG, MARCH)
        kitchen_only = analyse(session, ORG, MARCH, Filters(product_family="kitchen"))
        one_department = analyse(session, ORG, MARCH, Filters(department="kitchen"))
    # March: 4 kitchen complaints on 40,000 units, 3 climate ones on 12,000.
    assert figures.rates == [
        Rate("climate", complaints=3, units=12000, per_million=250.0),
        Rate("kitchen", complaints=4, units=40000, per_million=100.0),
    ]
    assert [r.product_family for r in kitchen_only.rates] == ["kitchen"]
    assert one_department.rates == []  # units are per family, not per department
    english = review_content(figures, ORG, Locale.EN)
    table = next(
        block
        for section in english.sections
        for block in section.blocks
        if getattr(block, "title", "") == "Complaints per million units shipped"
    )
    assert table.rows == (
        ("Heating and cooling", "3", "12,000", "250.0"),
        ("Kitchen appliances", "4", "40,000", "100.0"),
    )
    without = review_content(replace(figures, rates=[]), ORG, Locale.ZH_CN)
    titles = [getattr(b, "title", "") for s in without.sections for b in s.blocks]
    assert "每百万件出货的投诉数" not in titles
