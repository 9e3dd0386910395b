"""Changes of the standard hourly rates (R7.4, R7.7): :func:`change_rates` writes the dated
rates of one change. A rise is announced at least the policy's notice ahead (30 days) and
comes at most once a year (365 days between rises); its announcement goes, in their
language, to the customers billed at the standard rates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.customers.models import Customer
from kyklos.notifications import services as notices
from kyklos.projects import notices as events
from kyklos.projects import rates
from kyklos.projects.models import HourlyRate, Project, RateChange, TimeEntry, WorkKind
from kyklos.projects.services.inputs import checked_amount

#: Customers who had standard-rate work within this many days hear of a rise.
AFFECTED_LOOKBACK_DAYS = 365
LANGUAGES = ("el", "en", "pl")


@dataclass(frozen=True, slots=True)
class NewRate:
    amount: Decimal
    kind: WorkKind | str | None = None
    rush: bool = False


def _get(item, name: str, default=None):
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


@dataclass(frozen=True)
class _Planned:
    kind: WorkKind | None
    rush: bool
    amount: Decimal
    previous: Decimal | None

    @property
    def rises(self) -> bool:
        return self.previous is not None and self.amount > self.previous


def _planned(items: Iterable, effective_on: date) -> list[_Planned]:
    planned, seen = [], set()
    for item in items:
        kind = rates.work_kind(_get(item, "kind"))
        rush = bool(_get(item, "rush", False))
        key = (kind.pk if kind else None, rush)
        if key in seen:
            raise ValidationError({"rates": _("Each kind of work once per change, please.")})
        seen.add(key)
        amount = round_money(checked_amount(_get(item, "amount")), settings.KYKLOS_CURRENCY)
        if HourlyRate.objects.filter(kind=kind, rush=rush, valid_from=effective_on).exists():
            raise ValidationError(
                {
                    "rates": _("A rate for %(what)s from %(day)s exists already.")
                    % {"what": _label(kind, rush), "day": effective_on.isoformat()}
                }
            )
        try:
            previous = rates.table_rate(effective_on - timedelta(days=1), kind, rush=rush).amount
        except ValidationError:
            previous = None  # the first rate ever set
        planned.append(_Planned(kind, rush, amount, previous))
    if not planned:
        raise ValidationError({"rates": _("Give at least one rate.")})
    return planned


def _label(kind: WorkKind | None, rush: bool, language: str | None = None) -> str:
    name = kind.label(language) if kind else _("All kinds of work")
    return _("%(kind)s (rush)") % {"kind": name} if rush else name


def _check_rise(effective_on: date, today: date) -> None:
    policy = rates.policy()
    earliest = today + timedelta(days=policy.notice_days)
    if effective_on < earliest:
        raise ValidationError(
            {
                "effective_on": _(
                    "A rise is announced %(days)d days ahead: announced today, it comes "
                    "into force on %(earliest)s at the earliest."
                )
                % {"days": policy.notice_days, "earliest": earliest.isoformat()}
            }
        )
    gap = timedelta(days=policy.days_between_rises)
    other = (
        RateChange.objects.filter(
            is_rise=True, effective_on__gt=effective_on - gap, effective_on__lt=effective_on + gap
        )
        .exclude(effective_on=effective_on)  # the same yearly rise, completed
        .order_by("effective_on")
        .first()
    )
    if other is not None:
        raise ValidationError(
            {
                "effective_on": _(
                    "Rates rise once a year: they rose (or will rise) on %(day)s, so the "
                    "next rise comes into force on %(next)s at the earliest."
                )
                % {
                    "day": other.effective_on.isoformat(),
                    "next": (other.effective_on + gap).isoformat(),
                }
            }
        )


#: The longest note a rate change keeps (refused beyond, never cut short).
NOTE_LENGTH = 200


@transaction.atomic
def change_rates(*, effective_on: date, rates: Iterable, note: str = "", actor) -> RateChange:
    """Set new standard rates (``rates``: :class:`NewRate` or mappings with ``amount``,
    optionally ``kind`` — a :class:`WorkKind` or its code, none for all kinds — and
    ``rush``) in force from ``effective_on``. A rise over the rate in force the day before
    needs the policy's notice and the once-a-year gap, and is announced to the affected
    customers; a cut or a first rate needs neither. Refused input writes nothing."""
    today = clock.today()
    if not isinstance(effective_on, date):
        raise ValidationError({"effective_on": _("Give the day the rates come into force.")})
    if effective_on < today:
        raise ValidationError({"effective_on": _("New rates cannot start in the past.")})
    note = str(note or "")
    if len(note) > NOTE_LENGTH:
        raise ValidationError(
            {"note": _("A note has at most %(n)d characters.") % {"n": NOTE_LENGTH}}
        )
    planned = _planned(rates, effective_on)
    is_rise = any(p.rises for p in planned)
    if is_rise:
        _check_rise(effective_on, today)
    change = RateChange.objects.create(
        announced_on=today,
        effective_on=effective_on,
        is_rise=is_rise,
        note=note,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    HourlyRate.objects.bulk_create(
        HourlyRate(
            kind=p.kind,
            rush=p.rush,
            amount=p.amount,
            currency=settings.KYKLOS_CURRENCY,
            valid_from=effective_on,
            change=change,
            note=change.note,
        )
        for p in planned
    )
    if is_rise:
        change.notified_count = _announce(change, planned)
        RateChange.objects.filter(pk=change.pk).update(notified_count=change.notified_count)
    log_action(
        change,
        "projects.rates.changed",
        actor=actor,
        data={
            "effective_on": effective_on.isoformat(),
            "rise": is_rise,
            "rates": [
                {
                    "kind": p.kind.code if p.kind else "",
                    "rush": p.rush,
                    "amount": str(p.amount),
                    "previous": None if p.previous is None else str(p.previous),
                }
                for p in planned
            ],
            "notified": change.notified_count,
        },
    )
    return change


def affected_customers(today: date):
    """Active customers billed at the standard rates: standard or rush time in the last
    year, or an open project without an agreed rate."""
    since = today - timedelta(days=AFFECTED_LOOKBACK_DAYS)
    timed = TimeEntry.objects.filter(
        worked_on__gte=since,
        rate_source__in=[TimeEntry.RateSource.STANDARD, TimeEntry.RateSource.RUSH],
    ).values("customer_id")
    open_projects = Project.objects.filter(
        status__in=[
            Project.Status.AWAITING_DEPOSIT,
            Project.Status.IN_PROGRESS,
            Project.Status.DELIVERED,
        ],
        hourly_rate__isnull=True,
    ).values("customer_id")
    return Customer.objects.filter(status=Customer.Status.ACTIVE).filter(
        Q(pk__in=timed) | Q(pk__in=open_projects)
    )


def _rate_lines(planned: list[_Planned], language: str) -> list[dict]:
    with override(language):
        return [
            {
                "kind": _label(p.kind, p.rush, language),
                "old": "" if p.previous is None else str(p.previous),
                "new": str(p.amount),
            }
            for p in planned
        ]


def _announce(change: RateChange, planned: list[_Planned]) -> int:
    lines = {language: _rate_lines(planned, language) for language in LANGUAGES}
    rows = [
        notices.build_notice(
            event=events.RATE_RISE_ANNOUNCED,
            customer_id=customer.pk,
            language=customer.language,
            to_email=notices.recipient(events.RATE_RISE_ANNOUNCED, customer),
            context={
                "customer_name": customer.display_name,
                "effective_on": change.effective_on.isoformat(),
                "currency": settings.KYKLOS_CURRENCY,
                "rates": lines.get(customer.language) or lines["en"],
                "note": change.note,
            },
            for_date=change.announced_on,
        )
        for customer in affected_customers(change.announced_on).order_by("pk")
    ]
    return notices.queue_notices(rows)
