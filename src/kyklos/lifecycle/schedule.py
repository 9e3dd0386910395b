"""The dated moments of a service's period, computed from its product's policy.

This is the one place that turns a :class:`~kyklos.catalog.models.LifecyclePolicy` into
dates. The daily run selects what is due with the same offsets, and decides with
:func:`still_meaningful` whether a late notice is sent or recorded as skipped; the
forecast lists the same moments ahead.

A notice ``k`` days before expiry means something until the next notice of its family
is due (or, for the last one, until expiry — the day after, for an on-the-day notice).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from kyklos.catalog.models import CYCLE_MONTHS, Cycle, LifecyclePolicy
from kyklos.lifecycle.models import State

PROFORMA = "renewal_invoice"
REMINDER = "payment_reminder"
WARNING = "expiry_warning"
SUSPEND = "suspend"
TERMINATE = "terminate"
CANCEL = "cancel"


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """``day`` plus ``months``, keeping ``anchor_day`` (default ``day.day``) where the
    month allows: Jan 31 + 1 month = Feb 28, and with anchor 31, Feb 28 + 1 = Mar 31."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def period_end(start: date, cycle: str, anchor_day: int | None = None) -> date:
    months = CYCLE_MONTHS[Cycle(cycle)]
    return add_months(start, months, anchor_day) if months else start


def notice_pairs(offsets: list[int]) -> list[tuple[int, int | None]]:
    """Each offset with the next (smaller) one of its family: [30, 7] → [(30, 7), (7, None)]."""
    ordered = sorted(set(offsets), reverse=True)
    return [(k, ordered[i + 1] if i + 1 < len(ordered) else None) for i, k in enumerate(ordered)]


def valid_until(expires_on: date, offset: int, next_offset: int | None) -> date:
    """The first day on which the notice ``offset`` days before expiry is stale."""
    if next_offset is not None:
        return expires_on - timedelta(days=next_offset)
    return expires_on + timedelta(days=1) if offset == 0 else expires_on


def still_meaningful(day: date, expires_on: date, offset: int, next_offset: int | None) -> bool:
    return day < valid_until(expires_on, offset, next_offset)


@dataclass(frozen=True, slots=True)
class Moment:
    on: date
    kind: str
    offset: int = 0

    def as_dict(self) -> dict:
        return {"date": self.on.isoformat(), "event": self.kind, "offset_days": self.offset}


def moments(policy: LifecyclePolicy, cycle: str, expires_on: date) -> list[Moment]:
    """Every moment of the period ending ``expires_on``, if nobody pays, in date order."""
    found: list[Moment] = []
    lead = policy.lead_days(cycle)
    if lead is not None:
        found.append(Moment(expires_on - timedelta(days=lead), PROFORMA, lead))
    found += [Moment(expires_on - timedelta(days=k), REMINDER, k) for k in policy.reminder_offsets]
    found += [Moment(expires_on - timedelta(days=k), WARNING, k) for k in policy.warning_offsets]
    if not policy.expiry_handled_by:  # else another app's data (domains: per TLD)
        found.append(Moment(expires_on + timedelta(days=policy.suspend_after_days), SUSPEND))
        found.append(Moment(expires_on + timedelta(days=policy.terminate_after_days), TERMINATE))
    order = [PROFORMA, REMINDER, WARNING, SUSPEND, TERMINATE]
    return sorted(found, key=lambda m: (m.on, order.index(m.kind), -m.offset))


def notice_window(policy: LifecyclePolicy, cycle: str) -> int:
    """Days before expiry from which a service is "expiring" (R3.1): the earliest notice
    of its period, the renewal proforma or the first "expires soon" warning."""
    return max([policy.lead_days(cycle) or 0, *policy.warning_offsets])


def is_expiring(state: str, policy: LifecyclePolicy, cycle: str, expires_on, today: date) -> bool:
    """An active service inside its notice window (or past expiry, not yet suspended)."""
    return (
        state == State.ACTIVE
        and expires_on is not None
        and (expires_on - today).days <= notice_window(policy, cycle)
    )


def cancellation_effective(policy: LifecyclePolicy, requested_on: date, wanted: date) -> date:
    """The first day a service no longer runs, when a cancellation asked for on
    ``requested_on`` wants it gone from ``wanted`` (R3.7, R3.8).

    With a written-notice rule (dedicated servers: 30 days before the end of the month)
    the service runs to the end of the first month whose end is far enough ahead, and
    what renews until then is owed.
    """
    days = policy.cancel_days_before_month_end
    if days is None:
        return max(wanted, requested_on)
    month_end = _month_end(max(wanted, requested_on))
    while (month_end - requested_on).days < days:
        month_end = _month_end(month_end + timedelta(days=1))
    return month_end + timedelta(days=1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
