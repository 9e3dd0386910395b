"""What the dashboard shows of a customer's services, read in a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from kyklos.billing.models import Invoice
from kyklos.catalog.models import Cycle
from kyklos.lifecycle import schedule
from kyklos.lifecycle.models import FINAL_STATES, LIVE_STATES, Renewal, Service
from kyklos.lifecycle.selectors import services_for_customer


@dataclass
class ServiceRow:
    service: Service
    state_label: str
    is_expiring: bool
    days_left: int | None
    open_invoice: Invoice | None
    addons: list[ServiceRow] = field(default_factory=list)

    @property
    def can_renew(self) -> bool:
        service = self.service
        return (
            service.parent_id is None
            and service.state in LIVE_STATES
            and service.cycle != Cycle.ONE_OFF
            and service.cancel_effective_on is None
            and self.open_invoice is None
        )

    @property
    def can_cancel(self) -> bool:
        service = self.service
        return (
            service.parent_id is None
            and service.state not in FINAL_STATES
            and service.cancel_effective_on is None
        )


def customer_services(customer_id: int) -> QuerySet[Service]:
    """The customer's services with product, policy and their unpaid proformas."""
    open_renewals = (
        Renewal.objects.filter(status=Renewal.Status.OPEN)
        .select_related("invoice")
        .order_by("-period_start")
    )
    return services_for_customer(customer_id).prefetch_related(
        Prefetch("renewals", queryset=open_renewals, to_attr="open_renewals")
    )


def service_rows(services: list[Service], today: date) -> list[ServiceRow]:
    """One row per main service, its add-ons under it (R2.5)."""
    addons: dict[int, list[Service]] = defaultdict(list)
    for service in services:
        if service.parent_id:
            addons[service.parent_id].append(service)
    return [
        _row(service, today, [_row(addon, today) for addon in addons[service.pk]])
        for service in services
        if not service.parent_id
    ]


def _row(service: Service, today: date, addons: list[ServiceRow] | None = None) -> ServiceRow:
    days_left = (service.expires_on - today).days if service.expires_on else None
    is_expiring = schedule.is_expiring(
        service.state, service.product.policy, service.cycle, service.expires_on, today
    )
    renewals = getattr(service, "open_renewals", [])
    return ServiceRow(
        service=service,
        state_label=_("Expiring") if is_expiring else service.get_state_display(),
        is_expiring=is_expiring,
        days_left=days_left,
        open_invoice=renewals[0].invoice if renewals else None,
        addons=addons or [],
    )
