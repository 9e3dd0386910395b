"""Late interest on project documents (R6.7).

Interest is charged on project documents (``projects.ProjectInvoice``) only, from the day
after the interest-free period; :func:`charge_interest` invoices what has accrued up to a
day, on request or at each month end (the daily step :func:`month_end_interest`). The
day count itself is :mod:`kyklos.receivables.interest`.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Exists, ExpressionWrapper, F, Max, OuterRef, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.audit import log_actions
from kyklos.core.money import ZERO, round_money
from kyklos.customers.models import Customer
from kyklos.projects.models import ProjectInvoice
from kyklos.receivables import interest as daycount
from kyklos.receivables.models import CollectionPolicy, InterestCharge
from kyklos.receivables.services.policy import ACTOR, CHASED_KINDS, current_policy, reductions


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_end_interest(day: date, run=None) -> dict[str, int]:
    """Daily step: on a month's last day, invoice the interest accrued through it; on
    other days, catch up through the last month end (idempotent)."""
    through = day if day == month_end(day) else day.replace(day=1) - timedelta(days=1)
    documents = charge_interest(through=through, actor=ACTOR)
    return {"interest_invoice": len(documents)}


def interest_candidates(through: date, policy: CollectionPolicy, customer_ids=None):
    """Project tax documents on which interest may have accrued by ``through``."""
    latest = (
        InterestCharge.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(last=Max("last_day"))
        .values("last")
    )
    project_doc = ProjectInvoice.objects.filter(invoice=OuterRef("pk"))
    qs = (
        Invoice.objects.filter(kind__in=CHASED_KINDS)
        .filter(Exists(project_doc))
        .filter(due_on__lt=through - timedelta(days=policy.interest_free_days))
        .filter(
            Q(status=Invoice.Status.OPEN)
            | Q(
                status=Invoice.Status.PAID,
                paid_on__gt=ExpressionWrapper(
                    F("due_on") + timedelta(days=policy.interest_free_days),
                    output_field=DateField(),
                ),
            )
        )
        .annotate(charged_through=Subquery(latest[:1]))
        .select_related("customer")
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return qs


@transaction.atomic
def charge_interest(*, through: date, actor, customer: Customer | None = None) -> list[Invoice]:
    """Invoice the late interest accrued on project balances up to ``through`` (R6.7):
    one tax document per customer, a line per overdue document, each day charged once.
    On request (``customer``) or at month end (all customers)."""
    if through > clock.today():
        raise ValidationError({"through": _("Interest cannot be charged for future days.")})
    policy = current_policy()
    candidates = list(
        interest_candidates(through, policy, None if customer is None else [customer.pk])
    )
    if not candidates:
        return []
    payments = reductions([c.pk for c in candidates])

    charges: dict[int, list[InterestCharge]] = defaultdict(list)
    by_customer: dict[int, Customer] = {}
    now = clock.now()
    for doc in candidates:
        first = daycount.interest_start(doc.due_on, policy.interest_free_days)
        if doc.charged_through is not None:
            first = max(first, doc.charged_through + timedelta(days=1))
        last = through if doc.status == Invoice.Status.OPEN else min(through, doc.paid_on)
        found = daycount.segments(
            total=doc.total, payments=payments[doc.pk], first_day=first, last_day=last
        )
        amount = round_money(daycount.amount(found, policy.interest_rate), doc.currency)
        if amount <= 0:
            continue
        by_customer[doc.customer_id] = doc.customer
        charges[doc.customer_id].append(
            InterestCharge(
                invoice=doc,
                customer_id=doc.customer_id,
                first_day=found[0].first_day,
                last_day=found[-1].last_day,
                days=sum(s.days for s in found),
                rate=policy.interest_rate,
                segments=[s.as_dict() for s in found],
                amount=amount,
                created_at=now,
            )
        )
    if not charges:
        return []
    specs = []
    for customer_id, rows in charges.items():
        buyer = by_customer[customer_id]
        specs.append(
            billing.DocumentSpec(
                customer=buyer,
                kind=billing.tax_document_kind(buyer),
                lines=[_interest_line(c, buyer.language) for c in rows],
                issued_on=clock.today(),
                currency=rows[0].invoice.currency,
            )
        )
    documents = billing.issue_documents(specs, actor=actor)
    all_charges = []
    for document, rows in zip(documents, charges.values(), strict=True):
        for charge in rows:
            charge.charged_on = document
            all_charges.append(charge)
    # Billing announces each tax document to the customer, with its PDF.
    InterestCharge.objects.bulk_create(all_charges)
    log_actions(
        (
            (c, {"amount": str(c.amount), "days": c.days, "on": c.invoice.number})
            for c in all_charges
        ),
        "receivables.interest.charged",
        actor=actor,
    )
    return documents


def _interest_line(charge: InterestCharge, language: str) -> billing.LineSpec:
    with override(language):
        text = _(
            "Late interest %(rate)s%% a year on %(number)s, %(first)s to %(last)s (%(days)d days)"
        ) % {
            "rate": f"{charge.rate.normalize():f}",
            "number": charge.invoice.number,
            "first": charge.first_day.isoformat(),
            "last": charge.last_day.isoformat(),
            "days": charge.days,
        }
    return billing.LineSpec(
        description=text[:300],
        unit_price=charge.amount,
        product_code="interest",
        period_start=charge.first_day,
        period_end=charge.last_day,
    )


def accrued_interest(invoice: Invoice, *, through: date) -> Decimal:
    """Interest accrued and not yet invoiced on ``invoice`` up to ``through`` (a read,
    for the formal notice and the admin)."""
    policy = current_policy()
    if not ProjectInvoice.objects.filter(invoice=invoice).exists():
        return ZERO
    last_charged = invoice.interest_charges.aggregate(last=Max("last_day"))["last"]
    first = daycount.interest_start(invoice.due_on, policy.interest_free_days)
    if last_charged is not None:
        first = max(first, last_charged + timedelta(days=1))
    last = through if invoice.status == Invoice.Status.OPEN else min(through, invoice.paid_on)
    paid = reductions([invoice.pk])[invoice.pk]
    found = daycount.segments(total=invoice.total, payments=paid, first_day=first, last_day=last)
    return round_money(daycount.amount(found, policy.interest_rate), invoice.currency)
