"""Reads: what is still unreported, the staff queue, a document's transmissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Min, QuerySet

from kyklos.billing.models import Transmission
from kyklos.einvoicing.models import Attempt

Status = Transmission.Status


def unreported() -> QuerySet[Transmission]:
    """Transmissions not yet accepted by their system (pending, sending, waiting to retry
    or failed), oldest document first."""
    return (
        Transmission.objects.filter(status__in=Transmission.UNREPORTED)
        .select_related("invoice")
        .order_by("invoice__issued_on", "invoice_id")
    )


def staff_queue() -> QuerySet[Transmission]:
    """Failed transmissions: staff read the system's answer and act (re-send)."""
    return unreported().filter(status=Status.FAILED)


@dataclass(frozen=True)
class Unreported:
    total: int
    failed: int
    oldest: date | None
    by_channel: dict[str, int]


def unreported_summary(day: date) -> Unreported:
    """How many documents issued on or before ``day`` are still unreported (and failed),
    the oldest issue date, per channel: one query."""
    rows = (
        Transmission.objects.filter(status__in=Transmission.UNREPORTED, invoice__issued_on__lte=day)
        .values("authority", "status")
        .annotate(n=Count("pk"), oldest=Min("invoice__issued_on"))
    )
    total = failed = 0
    oldest = None
    by_channel: dict[str, int] = {}
    for r in rows:
        total += r["n"]
        failed += r["n"] if r["status"] == Status.FAILED else 0
        by_channel[r["authority"]] = by_channel.get(r["authority"], 0) + r["n"]
        oldest = r["oldest"] if oldest is None else min(oldest, r["oldest"])
    return Unreported(total, failed, oldest, by_channel)


def attempts_of(transmission: Transmission) -> QuerySet[Attempt]:
    return Attempt.objects.filter(transmission=transmission).order_by("number")
