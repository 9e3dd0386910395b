"""Due times, written by hand from the calendar (R8.2, R8.3), and the properties of the
one function that computes them."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kyklos.support.sla import Target, WorkCalendar, due

ATHENS = ZoneInfo("Europe/Athens")
WARSAW = ZoneInfo("Europe/Warsaw")
NICOSIA = ZoneInfo("Asia/Nicosia")

GR = WorkCalendar("GR", "Europe/Athens")
CY = WorkCalendar("CY", "Asia/Nicosia")
PL = WorkCalendar("PL", "Europe/Warsaw")
HIGH = Target(2, "business_days")
NORMAL = Target(10, "business_days")
LOW = Target(14, "business_days")
URGENT = Target(24, "hours")


def athens(*args):
    return datetime(*args, tzinfo=ATHENS)


def test_the_holidays_package_knows_greek_orthodox_easter_2027():
    for day in (date(2027, 4, 30), date(2027, 5, 3)):  # Good Friday, Easter Monday
        assert not GR.is_open_day(day)
    assert not GR.is_open_day(date(2027, 5, 4))  # Labour Day (Sat 1 May) moved to Tuesday
    assert not GR.is_open_day(date(2027, 6, 21))  # Whit Monday
    assert GR.is_open_day(date(2027, 4, 29)) and GR.is_open_day(date(2027, 5, 5))


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        # Thursday before Orthodox Easter (2 May 2027): Fri 30 Apr, Mon 3 and Tue 4 May
        # are closed, so 2 business days (16 open hours) end on Thursday 6 May.
        (athens(2027, 4, 29, 15, 0), HIGH, athens(2027, 5, 6, 15, 0)),
        # 10 business days: 5, 6, 7, 10–14, 17, 18 May.
        (athens(2027, 4, 29, 15, 0), NORMAL, athens(2027, 5, 18, 15, 0)),
        # Opened on Good Friday: the clock starts Wednesday 5 May at 09:00.
        (athens(2027, 4, 30, 11, 0), HIGH, athens(2027, 5, 7, 9, 0)),
        # Opened on Holy Saturday evening, same.
        (athens(2027, 5, 1, 20, 0), HIGH, athens(2027, 5, 7, 9, 0)),
        # Christmas 2026: Fri 25 Dec closed. Wed 23 Dec 16:00 → 1 h + Thu 8 h + Mon 7 h.
        (athens(2026, 12, 23, 16, 0), HIGH, athens(2026, 12, 28, 16, 0)),
        # 14 business days over Christmas, New Year (Fri 1 Jan) and Epiphany (Wed 6 Jan).
        (athens(2026, 12, 23, 16, 0), LOW, athens(2027, 1, 15, 16, 0)),
        # An urgent ticket runs round the clock: 24 hours, Christmas or not.
        (athens(2026, 12, 24, 18, 30), URGENT, athens(2026, 12, 25, 18, 30)),
        # Ending exactly at closing time means the next opening.
        (athens(2027, 3, 3, 9, 0), HIGH, athens(2027, 3, 5, 9, 0)),
        (athens(2027, 3, 2, 17, 0), HIGH, athens(2027, 3, 5, 9, 0)),
    ],
)
def test_greek_due_times(start, target, expected):
    assert due(start, target, GR).due == expected


def test_polish_christmas_eve_is_closed():
    # PL: Fri 24 Dec 2027 (Christmas Eve) is a public holiday since 2025.
    start = datetime(2027, 12, 23, 10, 0, tzinfo=WARSAW)
    assert due(start, HIGH, PL).due == datetime(2027, 12, 28, 10, 0, tzinfo=WARSAW)


def test_cypriot_easter_is_shorter_than_the_greek():
    # CY has no Labour Day on Tuesday 4 May 2027, Greece does.
    start = datetime(2027, 4, 28, 11, 0, tzinfo=NICOSIA)
    assert due(start, HIGH, CY).due == datetime(2027, 5, 4, 11, 0, tzinfo=NICOSIA)
    assert due(start, HIGH, GR).due == datetime(2027, 5, 5, 11, 0, tzinfo=NICOSIA)


def test_extra_closed_days_and_working_hours_are_configurable():
    calendar = WorkCalendar(
        "GR",
        "Europe/Athens",
        opens=time(8, 0),
        closes=time(20, 0),
        closed_days=frozenset({date(2027, 3, 5)}),
    )
    # 2 business days = 24 open hours; Friday 5 March closed by the provider.
    assert due(athens(2027, 3, 4, 14, 0), HIGH, calendar).due == athens(2027, 3, 9, 14, 0)


def test_warning_at_75_percent_and_pauses_push_the_due_time():
    start = athens(2027, 3, 1, 9, 0)  # Monday
    result = due(start, HIGH, GR)
    assert result.due == athens(2027, 3, 3, 9, 0)
    assert result.warn == athens(2027, 3, 2, 13, 0)  # 12 of 16 open hours
    # Waiting on the customer from Mon 15:00 to Tue 11:00: 2 + 2 open hours stood still.
    paused = due(start, HIGH, GR, pauses=[(athens(2027, 3, 1, 15, 0), athens(2027, 3, 2, 11, 0))])
    assert paused.due == athens(2027, 3, 3, 13, 0)
    # A pause over a weekend only (Sat–Sun) costs no open time.
    weekend = [(athens(2027, 3, 6, 10, 0), athens(2027, 3, 7, 18, 0))]
    assert due(start, HIGH, GR, pauses=weekend).due == result.due


# --- properties ---------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 1), timezones=st.just(UTC)
)
calendars = st.sampled_from(
    [GR, CY, PL, WorkCalendar("GR", "Europe/Athens", opens=time(8, 30), closes=time(18, 15))]
)
business_days = st.integers(min_value=1, max_value=30).map(lambda n: Target(n, "business_days"))
business_hours = st.integers(min_value=1, max_value=200).map(lambda n: Target(n, "business_hours"))
targets = st.one_of(business_days, business_hours)


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, target=targets, a=instants, b=instants)
def test_due_is_monotone_in_the_start(calendar, target, a, b):
    early, late = sorted((a, b))
    assert due(early, target, calendar).due <= due(late, target, calendar).due


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, target=targets, start=instants)
def test_due_never_lands_on_a_closed_day_or_outside_hours(calendar, target, start):
    result = due(start, target, calendar).due.astimezone(calendar.tz)
    assert calendar.is_open_day(result.date())
    assert calendar.opens <= result.time() < calendar.closes


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, target=targets, start=instants)
def test_adding_then_subtracting_returns_the_start(calendar, target, start):
    length = target.length(calendar)
    begin = calendar.normalise(start)
    end = calendar.add(start, length)
    assert calendar.subtract(end, length) == begin
    assert calendar.between(start, end) == length
    assert end > begin
