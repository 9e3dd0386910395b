"""What the dashboard and the invoice list show, each list read in one query.

The rows are read as plain tuples (no model instances): :func:`read_services` is what every
visit costs, and its result is also the cache key of the rendered list
(:mod:`kyklos.core.fragments`); :func:`service_rows` turns it into what the template shows
only when the list has to be rendered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.selectors import invoices_for_customer
from kyklos.catalog.models import Cycle, LifecyclePolicy
from kyklos.core.fragments import url_maker
from kyklos.core.prepared import prepared
from kyklos.lifecycle import selectors as lifecycle
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.support.models import OutageReport

#: The policy fields the "expiring" window is computed from.
POLICY_FIELDS = lifecycle.NOTICE_POLICY_FIELDS
SERVICE_FIELDS = (
    "pk",
    "parent_id",
    "product__name",
    "label",
    "state",
    "cycle",
    "expires_on",
    "auto_renew",
    "cancel_effective_on",
    "product__policy_id",
    *(f"product__policy__{name}" for name in POLICY_FIELDS),
    "open_invoice_id",
    "open_invoice_number",
    "had_outage",
)
#: The policy fields stored as JSON.
JSON_POLICY_FIELDS = tuple(
    name
    for name in POLICY_FIELDS
    if LifecyclePolicy._meta.get_field(name).get_internal_type() == "JSONField"
)
#: Where :data:`SERVICE_FIELDS` says whether the service ever had a counted outage.
HAD_OUTAGE = SERVICE_FIELDS.index("had_outage")
STATES = dict(State.choices)
CYCLES = dict(Cycle.choices)


@dataclass
class ServiceRow:
    pk: int
    parent_id: int | None
    product_name: str
    label: str
    state: str
    state_label: str
    is_expiring: bool
    expires_on: date | None
    days_left: int | None
    cycle: str
    cycle_label: str
    auto_renew: bool
    cancel_effective_on: date | None
    open_invoice_id: int | None
    open_invoice_number: str | None
    can_renew: bool = False
    can_cancel: bool = False
    renew_url: str = ""
    cancel_url: str = ""
    open_invoice_url: str = ""
    url: str = ""
    addons: list[ServiceRow] = field(default_factory=list)


def read_services(customer_id: int, only: int | None = None) -> list[tuple]:
    """The customer's services (add-ons after main services) as tuples of
    :data:`SERVICE_FIELDS`, each with its newest unpaid proforma; ``only`` one main service
    and its add-ons."""
    if only is None:
        return _customer_services(customer_id)
    services = _services_query().filter(customer_id=customer_id)
    return list(services.filter(Q(pk=only) | Q(parent_id=only)))


@cache
def _services_query() -> QuerySet:
    """Built once per process: resolving eighteen fields across three tables costs more
    than the query itself; each call filters a copy."""
    open_renewals = Renewal.objects.filter(
        service=OuterRef("pk"), status=Renewal.Status.OPEN
    ).order_by("-period_start")
    return (
        Service.objects.select_related("product__policy")
        .annotate(
            open_invoice_id=Subquery(open_renewals.values("invoice_id")[:1]),
            open_invoice_number=Subquery(open_renewals.values("invoice__number")[:1]),
            # whether the dashboard's uptime block has anything to read (R5.3)
            had_outage=Exists(OutageReport.objects.filter(service=OuterRef("pk"), exclusion="")),
        )
        .order_by(*lifecycle.SERVICE_ORDER)
        .values_list(*SERVICE_FIELDS)
    )


#: Every dashboard visit reads this: compiled to SQL once per connection (core.prepared).
_customer_services = prepared(
    "portal.services",
    lambda customer_id: _services_query().filter(customer_id=customer_id),
    json_as_text=True,  # the policy's lists, decoded once per policy (_row)
)


def had_outages(services: list[tuple]) -> bool:
    """Whether any of :func:`read_services`' services ever had a counted outage: without
    one there is no availability to show, whatever the year."""
    return any(values[HAD_OUTAGE] for values in services)


def service_rows(services: list[tuple], today: date) -> list[ServiceRow]:
    """One row per main service, its add-ons under it (R2.5)."""
    renew_url, cancel_url = url_maker("portal:renew"), url_maker("portal:cancel")
    invoice_url, page_url = url_maker("portal:invoice"), url_maker("portal:service")
    policies: dict[int, LifecyclePolicy] = {}
    rows = []
    for values in services:
        row = _row(values, today, policies)
        row.url = page_url(row.pk)
        if row.open_invoice_id:
            row.open_invoice_url = invoice_url(row.open_invoice_id)
        if row.parent_id is None:
            row.renew_url, row.cancel_url = renew_url(row.pk), cancel_url(row.pk)
        rows.append(row)
    addons: dict[int, list[ServiceRow]] = defaultdict(list)
    for row in rows:
        if row.parent_id:
            addons[row.parent_id].append(row)
    main = [row for row in rows if not row.parent_id]
    for row in main:
        row.addons = addons[row.pk]
    return main


def _row(values: tuple, today: date, policies: dict[int, LifecyclePolicy]) -> ServiceRow:
    (pk, parent_id, product_name, label, state, cycle, expires_on, auto_renew, cancelled_on,
     policy_id, *policy_values, open_invoice_id, open_invoice_number, _outage) = values  # fmt: skip
    policy = policies.get(policy_id)
    if policy is None:
        values = dict(zip(POLICY_FIELDS, policy_values, strict=True))
        for name in JSON_POLICY_FIELDS:
            if isinstance(values[name], str):  # as read by _customer_services
                values[name] = json.loads(values[name])
        policy = policies[policy_id] = LifecyclePolicy(pk=policy_id, **values)
    is_expiring = lifecycle.is_expiring(state, policy, cycle, expires_on, today)
    row = ServiceRow(
        pk=pk,
        parent_id=parent_id,
        product_name=product_name,
        label=label,
        state=state,
        state_label=_("Expiring") if is_expiring else str(STATES.get(state, state)),
        is_expiring=is_expiring,
        expires_on=expires_on,
        days_left=(expires_on - today).days if expires_on else None,
        cycle=cycle,
        cycle_label=str(CYCLES.get(cycle, cycle)),
        auto_renew=auto_renew,
        cancel_effective_on=cancelled_on,
        open_invoice_id=open_invoice_id,
        open_invoice_number=open_invoice_number,
    )
    row.can_renew = lifecycle.renewal_offered(row, open_invoice_id=open_invoice_id)
    row.can_cancel = lifecycle.cancellation_offered(row)
    return row


# --- invoices -----------------------------------------------------------------------------

INVOICE_FIELDS = ("pk", "kind", "number", "issued_on", "due_on", "total", "currency", "status")
KINDS = dict(DocumentKind.choices)
INVOICE_STATES = dict(Invoice.Status.choices)


@dataclass
class InvoiceRow:
    pk: int
    kind_label: str
    number: str
    issued_on: date
    due_on: date | None
    total: Decimal
    currency: str
    status: str
    status_label: str
    url: str
    pdf_url: str


def count_documents(customer_id: int) -> int:
    """How many documents the invoice list pages through."""
    found = _document_count(customer_id)
    return found[0][0] if found else 0


_document_count = prepared(
    "portal.document_count",
    lambda customer_id: (
        invoices_for_customer(customer_id)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
)


def read_documents(customer_id: int, number: int, per_page: int) -> list[tuple]:
    """Page ``number`` (from 1) of the invoice list, newest first, as :data:`INVOICE_FIELDS`."""
    return _documents.page(customer_id, limit=per_page, offset=(number - 1) * per_page)


_documents = prepared(
    "portal.documents",
    lambda customer_id: invoices_for_customer(customer_id).values_list(*INVOICE_FIELDS),
)


def invoice_rows(documents: list[tuple]) -> list[InvoiceRow]:
    """What the invoice list shows of documents read as :data:`INVOICE_FIELDS`."""
    detail, pdf = url_maker("portal:invoice"), url_maker("portal:invoice_pdf")
    return [
        InvoiceRow(
            pk=pk,
            kind_label=str(KINDS.get(kind, kind)),
            number=number,
            issued_on=issued_on,
            due_on=due_on,
            total=total,
            currency=currency,
            status=status,
            status_label=str(INVOICE_STATES.get(status, status)),
            url=detail(pk),
            pdf_url=pdf(pk),
        )
        for pk, kind, number, issued_on, due_on, total, currency, status in documents
    ]
