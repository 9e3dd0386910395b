"""Notices about a service: one way to address them and fill their context."""

from __future__ import annotations

from datetime import date

from kyklos.lifecycle.models import Service
from kyklos.notifications import services as notices
from kyklos.notifications.models import Outbox


def context(service: Service, **extra) -> dict:
    """The template context every service notice has, plus ``extra``."""
    base = {
        "customer_name": service.customer.display_name,
        "service_label": service.display_label,
        "product_name": service.product.name,
        "late_fee_warning": service.product.policy.warn_late_fees,
    }
    if service.expires_on:
        base["expires_on"] = service.expires_on.isoformat()
    return {**base, **extra}


def notice(
    service: Service,
    event: str,
    day: date,
    *,
    anchor_date: date | None = None,
    offset: int = 0,
    status: str = Outbox.Status.QUEUED,
    invoice_id: int | None = None,
    **extra,
) -> Outbox:
    """An unsaved notice about ``service`` (bulk callers insert many with
    ``notifications.services.queue_notices``)."""
    customer = service.customer
    return notices.build_notice(
        event=event,
        customer_id=customer.pk,
        language=customer.language,
        to_email=notices.recipient(event, customer),
        for_date=day,
        service_id=service.pk,
        invoice_id=invoice_id,
        anchor_date=anchor_date,
        offset_days=offset,
        status=status,
        context=context(service, **extra),
    )


def send(service: Service, event: str, day: date, **extra) -> Outbox:
    """Write one notice about ``service`` now (inside the caller's transaction)."""
    row = notice(service, event, day, **extra)
    notices.queue_notices([row])
    return row
