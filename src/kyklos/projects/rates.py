"""Hourly billing (R7.4): which rate applies, and how many minutes a request is billed.

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
from kyklos.projects.models import AgreedRate, HourlyRate, Project, TimeEntry

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


def standard_rate(day: date) -> HourlyRate | None:
    """The dated standard rate in force on ``day``; before the first row (or without
    rows) the ``KYKLOS_HOURLY_RATE`` setting applies."""
    return HourlyRate.objects.filter(valid_from__lte=day).order_by("-valid_from").first()


def rate_for(
    customer_id: int, *, day: date, project: Project | None = None, given: Decimal | None = None
) -> Rate:
    """The hourly rate for work on ``day``: the one given for this work, else the
    project's agreed rate, else the customer's agreed rate in force, else the standard
    rate in force."""
    currency = project.currency if project is not None else settings.KYKLOS_CURRENCY
    if given is not None:
        return Rate(given, currency, TimeEntry.RateSource.GIVEN)
    if project is not None and project.hourly_rate is not None:
        return Rate(project.hourly_rate, project.currency, TimeEntry.RateSource.PROJECT)
    agreed = (
        AgreedRate.objects.filter(customer_id=customer_id, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )
    if agreed is not None:
        return Rate(agreed.amount, agreed.currency, TimeEntry.RateSource.CUSTOMER)
    standard = standard_rate(day)
    if standard is not None:
        return Rate(standard.amount, standard.currency, TimeEntry.RateSource.STANDARD)
    fallback = settings.KYKLOS_HOURLY_RATE
    if not fallback:
        raise ValidationError(
            {
                "rate": _("No standard hourly rate is set for %(day)s; add one in the admin.")
                % {"day": day.isoformat()}
            }
        )
    return Rate(Decimal(fallback), settings.KYKLOS_CURRENCY, TimeEntry.RateSource.STANDARD)
