"""The rows the API shows, each fetched with what its schema reads (no N+1).

The invoice list, the API's busiest read, is read as tuples by queries compiled once per
connection (:mod:`kyklos.core.prepared`) and given as the JSON of ``InvoiceOut``
directly: building model instances and validating them through the schema took three
quarters of a request (docs/performance.md, "API list").
"""

from django.db import connections, router
from django.db.models import Count, Prefetch, QuerySet, Window

from kyklos.billing.models import TAX_DOCUMENT_KINDS, Invoice
from kyklos.catalog.models import Product
from kyklos.core.money import round_money
from kyklos.core.prepared import prepared
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Renewal, Service
from kyklos.notifications.models import Outbox


def customers() -> QuerySet[Customer]:
    return Customer.objects.order_by("id")


def products() -> QuerySet[Product]:
    return Product.objects.prefetch_related("prices").order_by("id")


def services() -> QuerySet[Service]:
    return Service.objects.select_related("product").order_by("id")


def invoices(customer_id: int | None = None) -> QuerySet[Invoice]:
    renewals = Renewal.objects.only("id", "invoice_id", "service_id")
    rows = (
        Invoice.objects.select_related("related")
        .prefetch_related(
            Prefetch("renewals", queryset=renewals),
            Prefetch("related__renewals", queryset=renewals),
        )
        .order_by("id")
    )
    return rows if customer_id is None else rows.filter(customer_id=customer_id)


#: The columns of an invoice in the list, in the order of ``InvoiceOut``'s fields.
_INVOICE_COLUMNS = (
    "id",
    "kind",
    "number",
    "customer_id",
    "issued_on",
    "due_on",
    "paid_on",
    "total",
    "currency",
    "status",
    "related_id",
)
_every_invoice = prepared(
    "api.invoices", lambda: Invoice.objects.order_by("id").values_list(*_INVOICE_COLUMNS)
)
#: One customer's invoices, each row with their number (a window over the customer's
#: rows, so the page and its count are one query).
_customers_invoices = prepared(
    "api.invoices.customer",
    lambda customer_id: (
        Invoice.objects.filter(customer_id=customer_id)
        .annotate(full_count=Window(Count("id")))
        .order_by("id")
        .values_list(*_INVOICE_COLUMNS, "full_count")
    ),
)
_customers_invoice_count = prepared(
    "api.invoices.customer.count",
    lambda customer_id: (
        Invoice.objects.filter(customer_id=customer_id)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("n")
    ),
)


def invoice_page(customer_id: int | None, limit: int, offset: int) -> tuple[int, list[dict]]:
    """The total and one page of the invoices (of one customer, or everyone's) as the
    ``InvoiceOut`` JSON shows them, by id: the page's tuples (for one customer with their
    count), the count of everyone's (unless this is the last page) and the services billed
    (a proforma's renewals; a tax document's through its proforma)."""
    if customer_id is None:
        rows = _every_invoice.page(limit=limit, offset=offset)
    else:
        rows = _customers_invoices.page(customer_id, limit=limit, offset=offset)
    if len(rows) < limit and (rows or not offset):
        count = offset + len(rows)  # the last page: nothing to count
    elif customer_id is None:
        count = Invoice.objects.count()
    elif rows:
        count = rows[0][-1]
    else:  # beyond the last page
        counted = _customers_invoice_count(customer_id)
        count = counted[0][0] if counted else 0
    billed = {
        row[0]: row[10] if row[1] in TAX_DOCUMENT_KINDS and row[10] else row[0] for row in rows
    }
    services: dict[int, set[int]] = {}
    for invoice_id, service_id in _renewed_services(set(billed.values())):
        services.setdefault(invoice_id, set()).add(service_id)
    items = [
        {
            "id": pk,
            "kind": kind,
            "number": number,
            "customer": customer,
            "issued_on": issued_on.isoformat(),
            "due_on": due_on.isoformat(),
            "paid_on": paid_on.isoformat() if paid_on is not None else None,
            "total": str(round_money(total, currency)),
            "currency": currency,
            "status": status,
            "related": related,
            "service_ids": sorted(services.get(billed[pk], ())),
        }
        for (
            pk,
            kind,
            number,
            customer,
            issued_on,
            due_on,
            paid_on,
            total,
            currency,
            status,
            related,
            *_count,
        ) in rows
    ]
    return count, items


def _renewed_services(invoice_ids: set[int]) -> list[tuple[int, int]]:
    """``(invoice id, service id)`` of the renewals billed by ``invoice_ids``: plain SQL
    on two integer columns (the ORM's ``__in`` lookup took longer to build than to run)."""
    if not invoice_ids:
        return []
    meta = Renewal._meta
    connection = connections[router.db_for_read(Renewal)]
    quote = connection.ops.quote_name
    invoice, service = (quote(meta.get_field(f).column) for f in ("invoice", "service"))
    marks = ", ".join(["%s"] * len(invoice_ids))
    sql = (
        f"SELECT {invoice}, {service} FROM {quote(meta.db_table)} "  # noqa: S608 (names)
        f"WHERE {invoice} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(pk) for pk in invoice_ids])
        return cursor.fetchall()


def notifications(customer_id: int | None = None) -> QuerySet[Outbox]:
    rows = Outbox.objects.order_by("id")
    return rows if customer_id is None else rows.filter(customer_id=customer_id)
