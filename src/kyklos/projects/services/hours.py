"""Hours (R7.4, R7.7): :func:`log_time` at the rate that applies (per kind of work, rush),
at least 15 minutes per request, then by the minute; :func:`bill_time` invoices the
unbilled entries."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.customers.models import Customer
from kyklos.projects import rates
from kyklos.projects.models import (
    Project,
    TimeEntry,
)
from kyklos.projects.services import packages
from kyklos.projects.services.inputs import checked_amount, checked_text, ensure_active

MAX_MINUTES = 24 * 60


def _minutes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            text = str(value).strip()
            if not text.isdigit():
                raise ValueError
            value = int(text)
        except (TypeError, ValueError):
            raise ValidationError(
                {"minutes": _("Give the time in whole minutes, e.g. 25.")}
            ) from None
    if not 1 <= value <= MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Give between 1 and %(max)d minutes.") % {"max": MAX_MINUTES}}
        )
    return value


@transaction.atomic
def log_time(
    customer: Customer,
    *,
    minutes,
    description: str,
    rate=None,
    project: Project | None = None,
    reference: str = "",
    actor,
    worked_on: date | None = None,
    kind=None,
    rush: bool = False,
) -> TimeEntry:
    """Log hourly work for ``customer`` (R7.4). Billed at ``rate`` when given (an agreed
    rate), else the project's, else the customer's agreed rate, else the standard rate in
    force on ``worked_on`` (default today) for the ``kind`` of work; a ``rush`` request at
    the rush rate in force (R7.7). Entries with the same ``reference`` are one
    request: it is billed at least 15 minutes, then by the minute."""
    minutes = _minutes(minutes)
    description = checked_text(description, "description", _("Describe the work done."), 300)
    reference = " ".join(str(reference or "").split())[:100]
    given = None if rate in (None, "") else checked_amount(rate, "rate")
    today = clock.today()
    worked_on = worked_on or today
    if worked_on > today:
        raise ValidationError({"worked_on": _("Time cannot be logged for a future day.")})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    ensure_active(customer)
    if project is not None:
        if project.customer_id != customer.pk:
            raise ValidationError({"project": _("That project belongs to another customer.")})
        if project.status in (Project.Status.CANCELLED, Project.Status.COMPLETED):
            raise ValidationError({"project": _("That project is closed.")})
    kind = rates.work_kind(kind)
    rush = bool(rush)
    chosen = rates.rate_for(
        customer.pk, day=worked_on, project=project, given=given, kind=kind, rush=rush
    )
    before = 0
    if reference:
        before = (
            TimeEntry.objects.filter(customer=customer, reference=reference).aggregate(
                total=Sum("minutes")
            )["total"]
            or 0
        )
    billable = rates.billable_increment(before, minutes)
    entry = TimeEntry.objects.create(
        customer=customer,
        project=project,
        worked_on=worked_on,
        kind=kind,
        rush=rush,
        minutes=minutes,
        billable_minutes=billable,
        rate=round_money(chosen.amount, chosen.currency),
        rate_source=chosen.source,
        currency=chosen.currency,
        amount=rates.amount_for(chosen.amount, billable, chosen.currency),
        description=description,
        reference=reference,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    packages.record_use(entry)  # a support package's hours first (R7.10, R7.6)
    log_action(
        entry,
        "projects.time.logged",
        actor=actor,
        data={
            "minutes": minutes,
            "billable_minutes": billable,
            "rate": str(entry.rate),
            "amount": str(entry.amount),
            "reference": reference,
            "kind": kind.code if kind else "",
            "rush": rush,
        },
    )
    return entry


def unbilled_time(customer_id: int, *, through: date | None = None, project=None):
    entries = TimeEntry.objects.filter(customer_id=customer_id, invoice__isnull=True)
    entries = entries.filter(package_uses__isnull=True)  # a support package bills those
    if through is not None:
        entries = entries.filter(worked_on__lte=through)
    if project is not None:
        entries = entries.filter(project=project)
    return entries.order_by("worked_on", "id")


def _time_line(entry: TimeEntry, language: str) -> billing.LineSpec:
    with override(language):
        label = _("%(day)s %(text)s — %(billed)d min at %(rate)s/h") % {
            "day": entry.worked_on.isoformat(),
            "text": entry.description,
            "billed": entry.billable_minutes,
            "rate": entry.rate,
        }
        if entry.rush:
            label = _("%(label)s, rush") % {"label": label}
        if entry.reference:
            label = f"{label} ({entry.reference})"
    return billing.LineSpec(
        description=label[:300],
        unit_price=entry.amount,
        product_code="hours",
        period_start=entry.worked_on,
        period_end=entry.worked_on,
    )


@transaction.atomic
def bill_time(
    customer: Customer, *, through: date | None = None, project: Project | None = None, actor
) -> Invoice | None:
    """Invoice the customer's unbilled hours up to ``through`` (default today), one line
    per entry with something to bill; returns the document, or None when nothing is due.
    Entries of a request billed nothing more (inside its 15 minutes) are marked billed
    with it."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    through = through or clock.today()
    entries = list(unbilled_time(customer.pk, through=through, project=project))
    charged = [e for e in entries if e.amount > 0]
    if not charged:
        return None
    currencies = {e.currency for e in charged}
    if len(currencies) > 1:
        raise ValidationError(_("Hours in several currencies; bill them one currency at a time."))
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=customer,
            kind=billing.tax_document_kind(customer),
            lines=[_time_line(e, customer.language) for e in charged],
            issued_on=clock.today(),
            currency=currencies.pop(),
        ),
        actor=actor,
    )
    TimeEntry.objects.filter(pk__in=[e.pk for e in entries]).update(invoice=invoice)
    log_action(
        invoice,
        "projects.time.billed",
        actor=actor,
        data={"entries": len(entries), "through": through.isoformat()},
    )
    return invoice  # billing announces the tax document, with its PDF
