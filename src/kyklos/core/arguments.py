"""Checks of command arguments that need nothing but the arguments: no Django, no database.

:mod:`kyklos.core.cli` gives them to the commands as :class:`CommandError` (status 2); the
``kyklos`` console runs a command's own checks before Django starts when the command has
a module for them (``kyklos.__main__.EARLY``), so a cron line with a bad date is refused in
a few tens of milliseconds with the same line (decision 0041).
"""

from __future__ import annotations

from datetime import date, timedelta

#: The days any command accepts: far enough for history and forecasts, and near enough
#: that adding ten years or taking a century away still gives a date (year 1–9999).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
#: Ten years: the longest simulation or forecast a command accepts.
MOST_DAYS = 3660


class Refused(ValueError):
    """An argument refused: one line, and the exit status (2: nothing was done)."""

    def __init__(self, message: str, *, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Refused(f"{option}: “{value}” is not a date; use YYYY-MM-DD.") from None
    return bounded_date(day, option)


def bounded_date(
    day: date | None, option: str, *, earliest: date = EARLIEST, latest: date = LATEST
) -> date | None:
    """``day`` unless it lies outside ``[earliest, latest]`` (by default the days any
    Kyklos command accepts)."""
    if day is None:
        return None
    if day < earliest:
        raise Refused(f"{option}: {day} is before {earliest}, the first day accepted.")
    if day > latest:
        raise Refused(f"{option}: {day} is after {latest}, the last day accepted.")
    return day


def bounded_int(
    value: int | None, option: str, *, least: int = 1, most: int | None = None
) -> int | None:
    """``value`` unless it lies outside ``[least, most]``; None stays None."""
    if value is None:
        return None
    if value < least:
        if least == 1:
            raise Refused(f"{option} must be a positive whole number.")
        raise Refused(f"{option} must be at least {least}.")
    if most is not None and value > most:
        raise Refused(f"{option}: at most {most}.")
    return value


def positive_int(value: int | None, option: str) -> int | None:
    return bounded_int(value, option)


def batch_size(value: int | None, option: str = "--batch-size") -> int:
    """A batch size option: 0 (or none) for the default, else a positive number."""
    if not value:
        return 0
    if value < 0:
        raise Refused(f"{option} must be 0 (the default) or a positive whole number.")
    return bounded_int(value, option, most=10_000_000)


def days_after(start: date, days: int, option: str) -> date:
    """The last day of ``days`` days from ``start``, refused beyond :data:`LATEST`."""
    try:
        last = start + timedelta(days=days - 1)
    except OverflowError:
        last = date.max
    if last > LATEST:
        raise Refused(f"{option}: the range would end after {LATEST}, the last day accepted.")
    return last
