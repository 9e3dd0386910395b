"""The rows the API shows, each fetched with what its schema reads (no N+1)."""

from django.db.models import Prefetch, QuerySet

from kyklos.billing.models import Invoice
from kyklos.catalog.models import Product
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


def notifications(customer_id: int | None = None) -> QuerySet[Outbox]:
    rows = Outbox.objects.order_by("id")
    return rows if customer_id is None else rows.filter(customer_id=customer_id)
