"""Turning service periods into proformas: one path for orders, renewals (batch or
"renew now") and restores. Prices come from the price list in force on the day the
document is issued (R2.3); coupons only ever reach an order's first period (R2.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents
from kyklos.core.bulk import insert_many
from kyklos.core.money import ZERO
from kyklos.lifecycle import notices as service_notices
from kyklos.lifecycle.models import Renewal, Service
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event


@dataclass
class Charge:
    """A period of a service to bill, with its add-ons' periods and any extra lines."""

    service: Service
    start: date
    end: date
    amount: Decimal
    kind: str = Renewal.Kind.RENEWAL
    discount: Decimal = ZERO
    extra_lines: list[LineSpec] = field(default_factory=list)
    addons: list[tuple[Service, Decimal]] = field(default_factory=list)


def describe(service: Service, start: date, end: date, language: str) -> str:
    with override(language):
        name = service.product.name
        if service.label:
            name = f"{name} — {service.label}"
        if end > start:
            return _("%(name)s, %(start)s to %(end)s") % {
                "name": name,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        return name


def _line(
    service: Service, start: date, end: date, amount: Decimal, language: str, discount=ZERO
) -> LineSpec:
    return LineSpec(
        description=describe(service, start, end, language),
        unit_price=amount,
        discount=discount,
        product_code=service.product.code,
        period_start=start,
        period_end=end,
    )


def _due_on(charge: Charge, day: date, event: str) -> date:
    """A renewal falls due the policy's ``payment_due_days`` before the period starts
    (R3.4); anything else when its period starts (or today)."""
    if event == Event.RENEWAL_INVOICE and charge.kind == Renewal.Kind.RENEWAL:
        return charge.service.product.policy.renewal_due_on(charge.start, day)
    return charge.start if charge.start > day else day


def issue_for_charges(
    charges: list[Charge],
    *,
    day: date,
    event: str = Event.RENEWAL_INVOICE,
    actor=None,
    together: bool = False,
) -> list[Invoice]:
    """Issue one proforma per charge — or, ``together``, one proforma for all the charges
    (of one customer: an order of several services) — record the billed periods and queue
    the notices (one per proforma).

    A constant number of statements per call (documents, lines, periods, notices, audit).
    """
    if together and charges:
        return [_issue_together(charges, day=day, event=event, actor=actor)]
    specs = []
    for charge in charges:
        language = charge.service.customer.language
        lines = [
            _line(
                charge.service, charge.start, charge.end, charge.amount, language, charge.discount
            )
        ]
        lines += [
            _line(addon, charge.start, charge.end, amount, language)
            for addon, amount in charge.addons
        ]
        lines += charge.extra_lines
        specs.append(
            DocumentSpec(
                customer=charge.service.customer,
                kind=DocumentKind.PROFORMA,
                lines=lines,
                issued_on=day,
                due_on=_due_on(charge, day, event),
            )
        )
    invoices = issue_documents(specs, actor=actor)

    renewals, rows = [], []
    for charge, invoice in zip(charges, invoices, strict=True):
        service = charge.service
        renewals.append(
            Renewal(
                service=service,
                invoice=invoice,
                period_start=charge.start,
                period_end=charge.end,
                amount=charge.amount,
                kind=charge.kind,
            )
        )
        renewals += [
            Renewal(
                service=addon,
                invoice=invoice,
                period_start=charge.start,
                period_end=charge.end,
                amount=amount,
                kind=charge.kind,
            )
            for addon, amount in charge.addons
        ]
        rows.append(
            service_notices.notice(
                service,
                event,
                day,
                invoice_id=invoice.pk,
                anchor_date=charge.start if event == Event.RENEWAL_INVOICE else None,
                expires_on=charge.start.isoformat(),
                period_start=charge.start.isoformat(),
                period_end=charge.end.isoformat(),
                invoice_number=invoice.number,
                total=str(invoice.total),
                currency=invoice.currency,
                due_on=invoice.due_on.isoformat(),
            )
        )
    insert_many(renewals, batch_size=2000)
    notices.queue_notices(rows)
    return invoices


def _charge_lines(charge: Charge, language: str) -> list[LineSpec]:
    service = charge.service
    lines = [_line(service, charge.start, charge.end, charge.amount, language, charge.discount)]
    lines += [
        _line(addon, charge.start, charge.end, amount, language) for addon, amount in charge.addons
    ]
    return lines + charge.extra_lines


def _issue_together(charges: list[Charge], *, day: date, event: str, actor) -> Invoice:
    customer = charges[0].service.customer
    if any(charge.service.customer_id != customer.pk for charge in charges):
        raise ValueError("One proforma is for the charges of one customer.")
    first = min(charge.start for charge in charges)
    (invoice,) = issue_documents(
        [
            DocumentSpec(
                customer=customer,
                kind=DocumentKind.PROFORMA,
                lines=[line for c in charges for line in _charge_lines(c, customer.language)],
                issued_on=day,
                due_on=first if first > day else day,
            )
        ],
        actor=actor,
    )
    renewals = []
    for charge in charges:
        periods = [(charge.service, charge.amount), *charge.addons]
        renewals += [
            Renewal(
                service=service,
                invoice=invoice,
                period_start=charge.start,
                period_end=charge.end,
                amount=amount,
                kind=charge.kind,
            )
            for service, amount in periods
        ]
    insert_many(renewals, batch_size=2000)
    lead = charges[0]
    notices.queue_notices(
        [
            service_notices.notice(
                lead.service,
                event,
                day,
                invoice_id=invoice.pk,
                expires_on=lead.start.isoformat(),
                period_start=lead.start.isoformat(),
                period_end=lead.end.isoformat(),
                invoice_number=invoice.number,
                total=str(invoice.total),
                currency=invoice.currency,
                due_on=invoice.due_on.isoformat(),
            )
        ]
    )
    return invoice
