"""Hourly billing (R7.4, R7.7): which rate applies, and how many minutes a request is billed.

A request is billed at least :data:`MINIMUM_MINUTES`, then in steps of one minute. Time
entries that share a reference (a ticket, a call) are one request, so a request worked
in three sittings of 5, 5 and 20 minutes is billed 15 + 0 + 15 = 30 minutes, and one of
5 minutes alone is billed 15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.core.money import round_money
from kyklos.projects.models import (
    AgreedRate,
    HourlyRate,
    Project,
    RatePolicy,
    TimeEntry,
    WorkKind,
)

MINIMUM_MINUTES = 15
STEP_MINUTES = 1


def request_billable(total_minutes: int) -> int:
    """Minutes billed for a request that took ``total_minutes`` in all."""
    if total_minutes <= 0:
        return 0
    return max(MINIMUM_MINUTES, total_minutes)


def billable_increment(minutes_before: int, minutes: int) -> int:
    """Minutes billed for ``minutes`` more work on a request that already had
    ``minutes_before`` logged: what the request's bill grows by."""
    return request_billable(minutes_before + minutes) - request_billable(minutes_before)


def amount_for(rate: Decimal, billable_minutes: int, currency: str) -> Decimal:
    """``rate`` per hour for ``billable_minutes``, rounded once."""
    return round_money(Decimal(rate) * billable_minutes / 60, currency)


@dataclass(frozen=True)
class Rate:
    amount: Decimal
    currency: str
    source: str


def policy() -> RatePolicy:
    """The rate policy (seeded; one row)."""
    found = RatePolicy.objects.filter(pk=1).first()
    return found if found is not None else RatePolicy(pk=1)


def _dated(day: date, kind: WorkKind | None, rush: bool) -> HourlyRate | None:
    return (
        HourlyRate.objects.filter(valid_from__lte=day, rush=rush, kind=kind)
        .order_by("-valid_from")
        .first()
    )


def standard_rate(day: date, kind: WorkKind | None = None, *, rush: bool = False):
    """The dated standard rate in force on ``day`` for ``kind`` (its own, else the rate for
    all kinds); None when no row is in force."""
    found = _dated(day, kind, rush) if kind is not None else None
    return found or _dated(day, None, rush)


def table_rate(day: date, kind: WorkKind | None = None, *, rush: bool = False) -> Rate:
    """The standard (or rush) rate in force on ``day`` for ``kind`` (R7.4, R7.7).

    Normal work: the kind's dated rate, else the dated rate for all kinds, else the
    ``KYKLOS_HOURLY_RATE`` setting. Rush: the dated rush rate for the kind or for all
    kinds, else the normal rate times the policy's rush multiplier."""
    currency = settings.KYKLOS_CURRENCY
    if rush:
        dated = standard_rate(day, kind, rush=True)
        if dated is not None:
            return Rate(dated.amount, dated.currency, TimeEntry.RateSource.RUSH)
        normal = table_rate(day, kind)
        return Rate(
            round_money(normal.amount * policy().rush_multiplier, normal.currency),
            normal.currency,
            TimeEntry.RateSource.RUSH,
        )
    dated = standard_rate(day, kind)
    if dated is not None:
        return Rate(dated.amount, dated.currency, TimeEntry.RateSource.STANDARD)
    fallback = settings.KYKLOS_HOURLY_RATE
    if not fallback:
        raise ValidationError(
            {
                "rate": _("No standard hourly rate is set for %(day)s; add one in the admin.")
                % {"day": day.isoformat()}
            }
        )
    return Rate(Decimal(fallback), currency, TimeEntry.RateSource.STANDARD)


def rate_for(
    customer_id: int,
    *,
    day: date,
    project: Project | None = None,
    given: Decimal | None = None,
    kind: WorkKind | None = None,
    rush: bool = False,
) -> Rate:
    """The hourly rate for work on ``day``: the one given for this work; a rush request at
    the rush rate in force for its kind (R7.7); else the project's agreed rate, else the
    customer's agreed rate in force, else the standard rate in force for its kind (R7.4)."""
    currency = project.currency if project is not None else settings.KYKLOS_CURRENCY
    if given is not None:
        return Rate(given, currency, TimeEntry.RateSource.GIVEN)
    if rush:
        return table_rate(day, kind, rush=True)
    if project is not None and project.hourly_rate is not None:
        return Rate(project.hourly_rate, project.currency, TimeEntry.RateSource.PROJECT)
    agreed = (
        AgreedRate.objects.filter(customer_id=customer_id, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )
    if agreed is not None:
        return Rate(agreed.amount, agreed.currency, TimeEntry.RateSource.CUSTOMER)
    return table_rate(day, kind)


def work_kind(value) -> WorkKind | None:
    """A kind of work given as a :class:`WorkKind` or its code; empty is none."""
    if value in (None, ""):
        return None
    if isinstance(value, WorkKind):
        return value
    found = WorkKind.objects.filter(code=str(value).strip().lower(), is_active=True).first()
    if found is None:
        raise ValidationError({"kind": _("Unknown kind of work “%(k)s”.") % {"k": value}})
    return found
