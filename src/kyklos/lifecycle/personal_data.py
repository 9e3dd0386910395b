"""Services: the label (a domain or host name may name a person) and a cancellation
reason typed by the customer. A customer whose services still run cannot be erased: the
contract needs their data (art. 17(3)(b)… and R1.4); they cancel first."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import ngettext

from kyklos.core.personal_data import ANONYMISE, Erased, ProcessedFor, Subject, personal_data
from kyklos.customers.selectors import of_ex_customers
from kyklos.lifecycle import selectors
from kyklos.lifecycle.models import FINAL_STATES, Service

ANONYMOUS = {"label": "", "cancel_reason": ""}
NOT_ANONYMISED = ~Q(label="", cancel_reason="")


def export_services(subject: Subject):
    if subject.customer_id is None:
        return
    for s in Service.objects.filter(customer_id=subject.customer_id).select_related("product"):
        yield {
            "service": s.product.name,
            "label": s.label,
            "state": s.state,
            "ordered_on": s.ordered_on,
            "expires_on": s.expires_on,
            "cancel_reason": s.cancel_reason,
        }


def erase_services(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    n = Service.objects.filter(NOT_ANONYMISED, customer_id=subject.customer_id).update(**ANONYMOUS)
    return Erased(anonymised=n)


def running_services(subject: Subject) -> str | None:
    if subject.customer_id is None:
        return None
    n = selectors.running_services(subject.customer_id).count()
    if not n:
        return None
    return ngettext(
        "%(n)d service is still running; it must end before the account can be erased.",
        "%(n)d services are still running; they must end before the account can be erased.",
        n,
    ) % {"n": n}


def processed_for(customer_ids):
    """Customers' running services by product type: privacy's record as processor (R9.8)
    picks the kinds that bring processing on the customer's behalf (hosting, mail, chat)."""
    rows = Service.objects.exclude(state__in=FINAL_STATES)
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    grouped = rows.values("customer_id", "product__type").annotate(n=Count("pk")).order_by()
    for row in grouped:
        yield ProcessedFor(row["customer_id"], row["product__type"], row["n"])


def register() -> None:
    personal_data.register(
        Service,
        category="customer_records",
        fields=["label", "cancel_reason"],
        exporter=export_services,
        eraser=erase_services,
    )
    personal_data.register_erasure_check(running_services)
    personal_data.register_processor_source(processed_for)
    personal_data.register_retention(
        "customer_records",
        Service,
        date_field="ended_at",
        action=ANONYMISE,
        queryset=lambda: of_ex_customers(Service.objects.all()),
        values=ANONYMOUS,
        pending=NOT_ANONYMISED,
        order=20,
    )
