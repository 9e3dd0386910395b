"""The uptime promise (R5.3): outage reports and the yearly credit.

A customer reports an outage in a ticket; staff confirm it on the desk with its start and
end and, where one applies, the R5.3 exclusion (:class:`OutageExclusion`: maintenance,
DNS/FTP/mail access, the customer's own code, events beyond our control). Downtime counts
from the customer's report: an outage confirmed to have started earlier counts from the
ticket's opening.

Once a calendar year has closed (and ``LATE_CONFIRMATION_DAYS`` more, for reports still being
confirmed), the daily step evaluates every hosting service with a counted outage in it
once: below 99.9 % availability it credits one month of that service to the customer's
account (``payments.services.add_credit``), which pays the next invoice (decision 0034).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.catalog import selectors as catalog
from kyklos.catalog.models import CYCLE_MONTHS
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.lifecycle.models import Service
from kyklos.notifications import services as notices
from kyklos.payments import services as payments
from kyklos.payments.models import CreditEntry
from kyklos.support import selectors
from kyklos.support.models import OutageExclusion, OutageReport, Ticket, UptimeYear

ACTOR = "uptime-credit"
EVENT = "uptime_credit"
#: days after a year's end before it is evaluated: reports still being confirmed count
LATE_CONFIRMATION_DAYS = 14


@dataclass(frozen=True)
class Outage:
    """What staff confirm about a ticket's outage report."""

    service: Service
    started_at: datetime
    ended_at: datetime
    exclusion: str = ""


def _check(ticket: Ticket, outage: Outage) -> None:
    service = outage.service
    if ticket.customer_id is None or service.customer_id != ticket.customer_id:
        raise ValidationError({"service": _("The service must be one of the ticket's customer.")})
    if service.product.type not in selectors.UPTIME_PRODUCT_TYPES:
        raise ValidationError(
            {"service": _("The uptime promise covers hosting services only (R5.3).")}
        )
    if outage.started_at is None or outage.ended_at is None:
        raise ValidationError({"ended_at": _("Give the outage's start and end.")})
    if outage.ended_at <= outage.started_at:
        raise ValidationError({"ended_at": _("The outage must end after it started.")})
    if outage.ended_at > clock.now():
        raise ValidationError({"ended_at": _("Confirm an outage once it has ended.")})
    if outage.exclusion and outage.exclusion not in OutageExclusion.values:
        raise ValidationError(
            {"exclusion": _("“%(v)s” is not an R5.3 exclusion.") % {"v": outage.exclusion}}
        )
    if ticket.opened_at >= outage.ended_at:
        raise ValidationError(
            {"ended_at": _("The outage ended before the customer reported it: nothing counts.")}
        )


def confirm_outage(ticket: Ticket, outage: Outage, *, actor=None) -> OutageReport:
    """Mark ``ticket`` as the report of ``outage`` and confirm it (again, to correct it)."""
    _check(ticket, outage)
    with transaction.atomic():
        report, created = OutageReport.objects.update_or_create(
            ticket=ticket,
            defaults={
                "service": outage.service,
                "reported_at": ticket.opened_at,
                "started_at": outage.started_at,
                "ended_at": outage.ended_at,
                "exclusion": outage.exclusion,
                "confirmed_by": actor if getattr(actor, "pk", None) else None,
                "confirmed_at": clock.now(),
            },
        )
        log_action(
            report,
            "support.outage.confirmed" if created else "support.outage.corrected",
            actor=actor,
            data={
                "ticket": ticket.number,
                "service": outage.service.pk,
                "started_at": outage.started_at.isoformat(),
                "ended_at": outage.ended_at.isoformat(),
                "exclusion": outage.exclusion,
                "counted_minutes": selectors.counted_seconds(report) // 60,
            },
        )
    return report


def monthly_amount(service: Service, day: date) -> tuple[Decimal, str]:
    """One month of the service: its price for the cycle in force on ``day`` (or the price
    agreed with the customer) divided by the cycle's months."""
    months = CYCLE_MONTHS.get(service.cycle) or 1
    if service.agreed_price is not None:
        currency = settings.KYKLOS_CURRENCY
        return round_money(Decimal(service.agreed_price) / months, currency), currency
    price = catalog.price_on(service.product, service.cycle, day)
    return round_money(price.amount / months, price.currency), price.currency


def credit_year(year: int, *, today: date | None = None) -> dict[str, int]:
    """Evaluate every hosting service with a counted outage in ``year`` not evaluated yet;
    credit one month where availability fell below the promise. Idempotent."""
    today = today or clock.today()
    if today < date(year + 1, 1, 1) + timedelta(days=LATE_CONFIRMATION_DAYS):
        return {"uptime_evaluated": 0, "uptime_credited": 0}
    evaluated = credited = unpriced = 0
    for service in selectors.services_to_evaluate(year):
        with transaction.atomic():
            if UptimeYear.objects.filter(service=service, year=year).exists():
                continue
            figure = selectors.availability(service, year)
            entry = amount = None
            currency = ""
            if figure < selectors.PROMISE:
                try:
                    amount, currency = monthly_amount(service, date(year, 12, 31))
                except catalog.PriceNotFound:
                    # No price to credit a month of: left for staff (and the next run).
                    unpriced += 1
                    continue
                note = _("Uptime credit %(year)s: %(service)s at %(figure)s %%") % {
                    "year": year,
                    "service": service.display_label,
                    "figure": figure,
                }
                if amount > 0:
                    entry = payments.add_credit(
                        service.customer,
                        amount=amount,
                        currency=currency,
                        kind=CreditEntry.Kind.ADJUSTMENT,
                        note=note,
                        actor=ACTOR,
                    )
                    notices.queue_notice(
                        event=EVENT,
                        customer=service.customer,
                        context={
                            "service": service.display_label,
                            "year": year,
                            "availability": str(figure),
                            "amount": str(amount),
                            "currency": currency,
                        },
                        for_date=today,
                    )
                credited += 1
            record = UptimeYear.objects.create(
                service=service,
                year=year,
                availability=figure,
                credit_amount=amount,
                currency=currency,
                credit_entry=entry,
                evaluated_on=today,
            )
            record.service = service
            log_action(
                record,
                "support.uptime.evaluated",
                actor=ACTOR,
                data={
                    "year": year,
                    "availability": str(figure),
                    "credit": str(amount) if amount is not None else None,
                    "currency": currency,
                },
            )
            evaluated += 1
    result = {"uptime_evaluated": evaluated, "uptime_credited": credited}
    if unpriced:
        result["uptime_unpriced"] = unpriced
    return result
