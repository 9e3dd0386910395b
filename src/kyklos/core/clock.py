"""The one clock of Kyklos.

Domain code asks this module for the time, never ``datetime.now()`` or ``date.today()``,
so that the daily run, the simulator and the tests can move time at will::

    with clock.frozen(date(2027, 3, 1)):
        clock.today()   # 2027-03-01 in the provider's time zone

The override is a context variable, so it is local to a thread or task.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "kyklos_clock", default=None
)


def provider_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    frozen = _frozen.get()
    return frozen if frozen is not None else timezone.now()


def today() -> date:
    """Today's date in the provider's time zone."""
    return now().astimezone(provider_tz()).date()


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the provider's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=provider_tz())


@contextmanager
def frozen(at: date | datetime) -> Iterator[datetime]:
    """Freeze the clock at ``at`` (a date means 09:00 that day, provider time)."""
    if isinstance(at, datetime):
        instant = at if timezone.is_aware(at) else at.replace(tzinfo=provider_tz())
    else:
        instant = start_of_day(at) + timedelta(hours=9)
    token = _frozen.set(instant)
    try:
        yield instant
    finally:
        _frozen.reset(token)


def is_frozen() -> bool:
    return _frozen.get() is not None
