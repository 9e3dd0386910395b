from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from kyklos.lifecycle import schedule
from kyklos.lifecycle.models import LIVE_STATES, Renewal, Service, State
from kyklos.payments.services import BilledService

#: How a customer's services are listed: main services first, soonest expiry first.
SERVICE_ORDER = ("parent_id", "expires_on", "id")


def services_for_customer(customer_id: int) -> QuerySet[Service]:
    return (
        Service.objects.filter(customer_id=customer_id)
        .select_related("product__policy")
        .order_by(*SERVICE_ORDER)
    )


def with_billed_period(services: QuerySet[Service]) -> QuerySet[Service]:
    """Annotate ``billed``: the current period already has its proforma."""
    return services.annotate(
        billed=Exists(
            Renewal.objects.filter(service=OuterRef("pk"), period_start=OuterRef("expires_on"))
        )
    )


def forecast(service: Service, *, today: date, days: int = 90) -> list[dict]:
    """The dated lifecycle events ahead for ``service`` if nobody pays, within ``days``.

    Uses :func:`schedule.moments`, the same offsets the daily run acts on; moments that
    are already done (a proforma already issued for the period) are left out.
    """
    horizon = today + timedelta(days=days)
    events: list[dict] = []
    if service.cancel_effective_on and service.state in (State.PENDING, *LIVE_STATES):
        events.append(
            {"date": service.cancel_effective_on.isoformat(), "event": "cancel", "offset_days": 0}
        )
    if service.state not in LIVE_STATES or service.expires_on is None or service.parent_id:
        return [e for e in events if today <= date.fromisoformat(e["date"]) <= horizon]
    policy = service.product.policy
    billed = getattr(service, "billed", None)
    if billed is None:
        billed = Renewal.objects.filter(service=service, period_start=service.expires_on).exists()
    for moment in schedule.moments(policy, service.cycle, service.expires_on):
        if moment.kind == schedule.PROFORMA and (billed or not service.auto_renew):
            continue
        if moment.kind == schedule.REMINDER and not (billed or service.auto_renew):
            continue
        if service.state == State.SUSPENDED and moment.kind != schedule.TERMINATE:
            continue
        if service.cancel_effective_on and moment.on >= service.cancel_effective_on:
            continue
        events.append(moment.as_dict())
    return sorted(
        (e for e in events if today <= date.fromisoformat(e["date"]) <= horizon),
        key=lambda e: e["date"],
    )


def billed_services(invoice):
    """The services a proforma billed, as the facts payments needs to compute a refund
    (R6.9, R4.5). Registered with ``payments.refunds`` in ``LifecycleConfig.ready``."""
    renewals = Renewal.objects.filter(invoice=invoice).select_related("service__product")
    return [
        BilledService(
            service_id=r.service_id,
            label=r.service.label,
            product_code=r.service.product.code,
            product_type=r.service.product.type,
            refundable=r.service.product.refundable,
            started_on=r.service.started_on,
            period_start=r.period_start,
            first_period=r.kind == Renewal.Kind.ORDER,
        )
        for r in renewals
    ]
