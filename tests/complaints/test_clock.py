"""Due times on the calendar and business-hours clocks, and the deadline policy (no DB)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from complaints.clock import WorkingCalendar, add_hours
from complaints.enums import Grade
from complaints.organization import EscalationLevel, Organization, parse_organization
from complaints.settings import PROJECT_DIR

SAMPLE = (PROJECT_DIR / "samples" / "organization.toml").read_text(encoding="utf-8")
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = WorkingCalendar()  # Mon-Fri 09:00-18:00
# National Day 2026: Thu 1 and Fri 2 October, then Mon 5 to Wed 7 October.
NATIONAL_DAY = WorkingCalendar(
    holidays=[date(2026, 10, d) for d in (1, 2, 5, 6, 7)],
)

# Tables of the sample file that tests add entries to.
CONTAINMENT = "deadlines.containment_hours_by_grade"
LADDERS = "deadlines.escalation_by_grade"


def at(day: str, clock: str, zone: ZoneInfo = SHANGHAI) -> datetime:
    """Return the aware local moment ``day`` (YYYY-MM-DD) at ``clock`` (HH:MM)."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone)


def business(
    start: datetime, hours: float, calendar: WorkingCalendar = OFFICE, zone: ZoneInfo = SHANGHAI
) -> datetime:
    return add_hours(start, hours, business=True, calendar=calendar, zone=zone)


def org_with(table: str, body: str) -> Organization:
    """Return the sample organization with ``body`` added to one of its tables."""
    header = f"[{table}]\n"
    assert header in SAMPLE
    return parse_organization(SAMPLE.replace(header, header + body))


def org_without_deadlines(deadlines: str) -> Organization:
    """Return the sample's people and departments with only the given deadline policy."""
    head, rest = SAMPLE.split("[deadlines]", 1)
    people = rest[rest.index("[people.") :]
    return parse_organization(head + deadlines + "\n" + people)


# --- the calendar clock ------------------------------------------------------------------


def test_the_calendar_clock_counts_nights_and_weekends() -> None:
    due = add_hours(at("2026-03-06", "17:00"), 24, business=False, calendar=OFFICE, zone=SHANGHAI)
    assert due == at("2026-03-07", "17:00")  # a Saturday
    assert due.tzinfo is UTC


def test_the_calendar_clock_counts_elapsed_hours_across_a_dst_change() -> None:
    # Berlin loses an hour on Sunday 2026-03-29: 24 elapsed hours end at 13:00 local.
    due = add_hours(
        at("2026-03-28", "12:00", BERLIN), 24, business=False, calendar=OFFICE, zone=BERLIN
    )
    assert due.astimezone(BERLIN) == at("2026-03-29", "13:00", BERLIN)


# --- the business clock ------------------------------------------------------------------


def test_business_hours_within_a_day() -> None:
    assert business(at("2026-03-02", "10:00"), 3) == at("2026-03-02", "13:00")


def test_business_hours_continue_the_next_morning() -> None:
    assert business(at("2026-03-02", "16:00"), 4) == at("2026-03-03", "11:00")


def test_business_hours_skip_the_weekend() -> None:
    assert business(at("2026-03-06", "16:00"), 4) == at("2026-03-09", "11:00")


def test_a_business_day_of_24_hours_takes_almost_three_working_days() -> None:
    # 9 h on Monday, 9 h on Tuesday, 6 h on Wednesday.
    assert business(at("2026-03-02", "09:00"), 24) == at("2026-03-04", "15:00")


def test_business_hours_skip_holidays() -> None:
    # Wednesday 30 September, then National Day and a weekend: Thursday 8 October.
    due = business(at("2026-09-30", "16:00"), 4, NATIONAL_DAY)
    assert due == at("2026-10-08", "11:00")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at("2026-03-02", "07:30"), at("2026-03-02", "10:00")),  # before opening
        (at("2026-03-02", "20:00"), at("2026-03-03", "10:00")),  # after closing
        (at("2026-03-02", "18:00"), at("2026-03-03", "10:00")),  # at closing
        (at("2026-03-08", "12:00"), at("2026-03-09", "10:00")),  # on a Sunday
    ],
)
def test_a_start_outside_working_time_counts_from_the_next_opening(
    start: datetime, expected: datetime
) -> None:
    assert business(start, 1) == expected


def test_zero_hours_outside_working_time_is_the_next_opening() -> None:
    assert business(at("2026-03-07", "12:00"), 0) == at("2026-03-09", "09:00")
    assert business(at("2026-03-02", "11:00"), 0) == at("2026-03-02", "11:00")


def test_a_due_time_at_closing_stays_at_closing() -> None:
    assert business(at("2026-03-02", "09:00"), 9) == at("2026-03-02", "18:00")
    assert business(at("2026-03-06", "17:00"), 1) == at("2026-03-06", "18:00")  # not Monday


def test_fractional_hours() -> None:
    assert business(at("2026-03-02", "17:30"), 1.25) == at("2026-03-03", "09:45")


def test_the_working_day_keeps_its_wall_clock_hours_across_dst_changes() -> None:
    # Spring: Friday 17:00 CET plus 2 h is Monday 10:00 CEST (08:00 UTC, not 09:00).
    spring = business(at("2026-03-27", "17:00", BERLIN), 2, zone=BERLIN)
    assert spring == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert spring.astimezone(BERLIN).time() == time(10, 0)
    # Autumn: Friday 17:00 CEST plus 2 h is Monday 10:00 CET (09:00 UTC).
    autumn = business(at("2026-10-23", "17:00", BERLIN), 2, zone=BERLIN)
    assert autumn == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_working_hours_are_read_in_the_given_zone() -> None:
    # 02:00 UTC on a Monday is 10:00 in Shanghai but 03:00 in Berlin.
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert business(start, 1, zone=SHANGHAI) == at("2026-03-02", "11:00", SHANGHAI)
    assert business(start, 1, zone=BERLIN) == at("2026-03-02", "10:00", BERLIN)


def test_a_naive_start_or_negative_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business(datetime(2026, 3, 2, 10, 0), 1)
    with pytest.raises(ValueError, match="negative"):
        business(at("2026-03-02", "10:00"), -1)


ZONES = st.sampled_from([SHANGHAI, BERLIN, ZoneInfo("America/New_York")])
HOURS = st.floats(min_value=0, max_value=200, allow_nan=False, allow_infinity=False)


@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    HOURS,
    HOURS,
    ZONES,
)
def test_business_due_times_grow_with_the_hours_and_fall_in_working_time(
    start: datetime, first: float, second: float, zone: ZoneInfo
) -> None:
    low, high = sorted((first, second))
    early = business(start, low, NATIONAL_DAY, zone)
    late = business(start, high, NATIONAL_DAY, zone)
    assert start <= early <= late
    for due in (early, late):
        local = due.astimezone(zone)
        assert local.weekday() < 5
        assert local.date() not in NATIONAL_DAY.holidays
        assert time(9, 0) <= local.time() <= time(18, 0)


# --- the working calendar ----------------------------------------------------------------


def test_a_calendar_that_closes_before_it_opens_is_refused() -> None:
    with pytest.raises(ValidationError, match="not before"):
        WorkingCalendar(start=time(18, 0), end=time(9, 0))
    with pytest.raises(ValidationError, match="not before"):
        WorkingCalendar(start=time(9, 0), end=time(9, 0))


def test_a_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(ValidationError):
        WorkingCalendar(days=[])


def test_working_hours_parse_from_toml_times_and_strings() -> None:
    org = org_without_deadlines(
        '[deadlines.working]\ndays = ["sat", "sun"]\nstart = 08:30:00\nend = "12:00"\n'
        "holidays = [2026-12-26]\n"
    )
    assert org.deadlines.working == WorkingCalendar(
        days=["sat", "sun"], start=time(8, 30), end=time(12, 0), holidays=[date(2026, 12, 26)]
    )


def test_a_misspelt_working_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="hollidays"):
        org_without_deadlines('[deadlines.working]\nhollidays = ["2026-10-01"]\n')


# --- the deadline policy in the organization file ----------------------------------------


def test_the_sample_file_yields_the_expected_policy() -> None:
    org = parse_organization(SAMPLE)
    policy = org.deadlines
    assert policy.clock == "calendar"
    assert not org.business_hours
    assert policy.reminders_before_hours == [4, 1]
    assert [(level.after_hours, level.people) for level in org.escalation_ladder()] == [
        (0, ["zhang-min"]),
        (24, ["tom-hughes"]),
    ]
    assert policy.due_hours.model_dump() == {
        "assessment": 24,
        "info_request": 72,
        "not_ours_approval": 24,
        "containment": 48,
        "action_plan": 72,
        "response": 72,
        "response_approval": 24,
        "response_decision": 336,
        "survey": 336,
        "effectiveness": 120,
    }
    follow_up = org.follow_up
    assert (follow_up.survey_after_days, follow_up.effectiveness_after_days) == (14, 30)
    assert (follow_up.response_rounds, follow_up.improvement_days) == (3, 30)
    assert "12315" in follow_up.dispute_resolution
    assert policy.containment_hours_by_grade == {}
    assert policy.escalation_by_grade == {}
    assert policy.pause_for_complainant is False
    assert policy.status_every_days == 3
    assert policy.working.days == ["mon", "tue", "wed", "thu", "fri"]
    assert (policy.working.start, policy.working.end) == (time(9, 0), time(18, 0))
    assert date(2026, 10, 1) in policy.working.holidays
    assert org.person("maria-lopez").timezone == "Europe/Madrid"
    assert org.person("wang-jun").email == "wang.jun@acme.example"
    assert org.departments["quality"].handlers == ["zhang-min"]


def test_the_organization_counts_due_times_on_its_clock() -> None:
    received = at("2026-09-30", "16:00")  # Shanghai, the sample's zone
    assert parse_organization(SAMPLE).due_after(received, 24) == at("2026-10-01", "16:00")
    business_text = SAMPLE.replace('clock = "calendar"', 'clock = "business"')
    assert business_text != SAMPLE
    org = parse_organization(business_text)
    assert org.business_hours
    # 2 h on 30 September; then 9 h each on 8 and 9 October (after National Day); 4 h on
    # Monday 12 October.
    assert org.due_after(received, 24) == at("2026-10-12", "13:00")


def test_containment_hours_per_grade_override_the_default() -> None:
    org = org_with(CONTAINMENT, "major_complaint = 24\n")
    assert org.containment_hours(Grade.MAJOR_COMPLAINT) == 24
    assert org.containment_hours(Grade.GRUMBLE) == 48
    assert org.containment_hours(None) == 48


def test_a_grade_without_due_hours_or_with_zero_hours_is_refused() -> None:
    with pytest.raises(ValidationError):
        org_with(CONTAINMENT, "major_complaint = 0\n")
    with pytest.raises(ValidationError):
        org_with(CONTAINMENT, "catastrophe = 12\n")


MAJOR_LADDER = (
    "major_complaint = [\n"
    '  { after_hours = 8, people = ["maria-lopez"] },\n'
    '  { after_hours = 0, people = ["zhang-min", "tom-hughes"] },\n'
    "]\n"
)


def test_a_grade_has_its_own_escalation_ladder_else_the_general_one() -> None:
    org = org_with(LADDERS, MAJOR_LADDER)
    assert org.escalation_ladder(Grade.MAJOR_COMPLAINT) == [
        EscalationLevel(after_hours=0, people=["zhang-min", "tom-hughes"]),
        EscalationLevel(after_hours=8, people=["maria-lopez"]),
    ]
    general = [
        EscalationLevel(after_hours=0, people=["zhang-min"]),
        EscalationLevel(after_hours=24, people=["tom-hughes"]),
    ]
    assert org.escalation_ladder(Grade.GRUMBLE) == general
    assert org.escalation_ladder(None) == general
    assert org.escalation_ladder() == general


def test_without_any_ladder_the_quality_leads_are_told_at_the_due_time() -> None:
    org = org_without_deadlines(f"[{LADDERS}]\n{MAJOR_LADDER}")
    assert org.escalation_ladder(Grade.COMPLAINT) == [
        EscalationLevel(after_hours=0, people=["zhang-min"])
    ]
    assert org.escalation_ladder(Grade.MAJOR_COMPLAINT)[1].people == ["maria-lopez"]


def test_a_grade_ladder_may_be_written_as_a_table() -> None:
    # A sub-table of the (empty) [deadlines.escalation_by_grade], appended to the file.
    org = parse_organization(
        SAMPLE + "\n[deadlines.escalation_by_grade.grumble]\n"
        'ladder = [ { after_hours = 48, people = ["wang-jun"] } ]\n'
    )
    assert org.escalation_ladder(Grade.GRUMBLE) == [
        EscalationLevel(after_hours=48, people=["wang-jun"])
    ]


def test_an_unknown_person_in_a_grade_ladder_is_refused() -> None:
    with pytest.raises(ValidationError, match="people not defined: nobody"):
        org_with(LADDERS, 'major_complaint = [ { after_hours = 0, people = ["nobody"] } ]\n')


def test_an_empty_grade_ladder_is_refused() -> None:
    with pytest.raises(ValidationError):
        org_with(LADDERS, "major_complaint = []\n")
