"""Business time and SLA due times (R8.2–R8.4).

A :class:`WorkCalendar` knows when the desk is open: its weekdays and hours in the
provider's time zone, minus the public holidays of its country (the ``holidays`` package:
Greek Orthodox Easter, Good Friday and Whit Monday move every year) and extra closed days.

Business time is counted only while the desk is open. An instant outside open time is
first moved to the next opening (*normalised*): a ticket opened on Saturday starts its
clock on Monday at opening time. :meth:`WorkCalendar.add` then walks open time forward
and :meth:`WorkCalendar.subtract` backward. An amount that ends exactly at closing time
ends at the next opening instead (the same business moment), so a result always lies in
open time, on an open day, and ``subtract(add(t, x), x) == t`` for every normalised ``t``.

:class:`RoundTheClock` counts every hour (targets in plain hours, such as the 24-hour
first response of R8.2 and the 24-hour resolution of urgent tickets).

:func:`due_times` is the one function that turns a ticket's start, its priority's targets
and the time the clock was paused into due times and warning moments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import holidays

#: Defaults shipped with Kyklos (R8.2, R8.3): (first response, unit), (resolution, unit).
DEFAULT_TARGETS = {
    "urgent": ((24, "hours"), (24, "hours")),
    "high": ((24, "hours"), (2, "business_days")),
    "normal": ((24, "hours"), (10, "business_days")),
    "low": ((24, "hours"), (14, "business_days")),
}
DEFAULT_WARN_PERCENT = 75
DEFAULT_TIME_ZONES = {"GR": "Europe/Athens", "CY": "Asia/Nicosia", "PL": "Europe/Warsaw"}
#: Safety stop for walks over days: no target or pause spans this many closed days in a row.
MAX_DAYS = 3660


@lru_cache(maxsize=32)
def public_holidays(country: str, subdivision: str = "") -> holidays.HolidayBase:
    """The public holidays of ``country`` (computed per year on first use)."""
    import holidays  # here, not at start-up: it loads dateutil's parser

    return holidays.country_holidays(country, subdiv=subdivision or None)


@dataclass(frozen=True)
class WorkCalendar:
    country: str
    time_zone: str = "Europe/Athens"
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    closed_days: frozenset[date] = field(default_factory=frozenset)
    subdivision: str = ""

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("closing time must come after opening time")
        if not self.workdays:
            raise ValueError("a calendar needs at least one open weekday")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_open_day(self, day: date) -> bool:
        return (
            day.weekday() in self.workdays
            and day not in self.closed_days
            and day not in public_holidays(self.country, self.subdivision)
        )

    def next_open_day(self, day: date) -> date:
        for _ in range(MAX_DAYS):
            day += timedelta(days=1)
            if self.is_open_day(day):
                return day
        raise ValueError(f"no open day within {MAX_DAYS} days after {day}")

    def previous_open_day(self, day: date) -> date:
        for _ in range(MAX_DAYS):
            day -= timedelta(days=1)
            if self.is_open_day(day):
                return day
        raise ValueError(f"no open day within {MAX_DAYS} days before {day}")

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.tz)

    def _position(self, instant: datetime) -> tuple[date, timedelta]:
        """The open day and the time since its opening of ``instant``, normalised."""
        local = instant.astimezone(self.tz)
        day = local.date()
        if self.is_open_day(day):
            if local.time() < self.opens:
                return day, timedelta(0)
            offset = local - self._opening(day)
            if offset < self.day_length:
                return day, offset
        return self.next_open_day(day), timedelta(0)

    def _instant(self, day: date, offset: timedelta) -> datetime:
        return (self._opening(day) + offset).astimezone(UTC)

    def normalise(self, instant: datetime) -> datetime:
        """``instant`` if the desk is open then, else the next opening."""
        return self._instant(*self._position(instant))

    def add(self, instant: datetime, amount: timedelta) -> datetime:
        """The moment ``amount`` of open time after ``instant``."""
        if amount < timedelta(0):
            return self.subtract(instant, -amount)
        day, offset = self._position(instant)
        offset += amount
        length = self.day_length
        full_days, offset = divmod(offset, length)
        for _ in range(full_days):
            day = self.next_open_day(day)
        return self._instant(day, offset)

    def subtract(self, instant: datetime, amount: timedelta) -> datetime:
        """The moment ``amount`` of open time before ``instant`` (normalised first)."""
        if amount < timedelta(0):
            return self.add(instant, -amount)
        day, offset = self._position(instant)
        offset -= amount
        length = self.day_length
        while offset < timedelta(0):
            day = self.previous_open_day(day)
            offset += length
        return self._instant(day, offset)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Open time from ``start`` to ``end`` (zero when ``end`` is not later)."""
        if end <= start:
            return timedelta(0)
        day, offset = self._position(start)
        end_day, end_offset = self._position(end)
        if (end_day, end_offset) <= (day, offset):
            return timedelta(0)
        total = -offset
        for _ in range(MAX_DAYS * 10):
            if day == end_day:
                return total + end_offset
            total += self.day_length
            day = self.next_open_day(day)
        raise ValueError("interval too long")

    def business_days(self, count: int) -> timedelta:
        return count * self.day_length


@dataclass(frozen=True)
class RoundTheClock:
    """Every hour counts: targets in plain hours."""

    def normalise(self, instant: datetime) -> datetime:
        return instant.astimezone(UTC)

    def add(self, instant: datetime, amount: timedelta) -> datetime:
        return (instant + amount).astimezone(UTC)

    def subtract(self, instant: datetime, amount: timedelta) -> datetime:
        return (instant - amount).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))


ROUND_THE_CLOCK = RoundTheClock()


@dataclass(frozen=True)
class Target:
    """One SLA target: an amount in a unit (``hours``, ``business_hours``, ``business_days``)."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError("an SLA target is at least 1")
        if self.unit not in ("hours", "business_hours", "business_days"):
            raise ValueError(f"unknown SLA unit {self.unit!r}")

    def clock(self, calendar: WorkCalendar) -> WorkCalendar | RoundTheClock:
        return ROUND_THE_CLOCK if self.unit == "hours" else calendar

    def length(self, calendar: WorkCalendar) -> timedelta:
        if self.unit == "business_days":
            return calendar.business_days(self.amount)
        return timedelta(hours=self.amount)


@dataclass(frozen=True)
class Due:
    due: datetime
    warn: datetime


def due(
    start: datetime,
    target: Target,
    calendar: WorkCalendar,
    *,
    pauses: Iterable[tuple[datetime, datetime]] = (),
    warn_percent: int = DEFAULT_WARN_PERCENT,
) -> Due:
    """When ``target`` is due for a clock started at ``start``, and when to warn.

    The time the clock stood still (``pauses``: waiting on the customer, R8.4) moves both
    moments later by the open time it covered. The result never falls on a closed day.
    """
    clock = target.clock(calendar)
    length = target.length(calendar)
    stood = sum((clock.between(a, b) for a, b in pauses), timedelta(0))
    return Due(
        due=clock.add(start, length + stood),
        warn=clock.add(start, length * warn_percent / 100 + stood),
    )
