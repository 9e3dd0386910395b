"""Gapless document numbers (R6.1).

Numbers are taken from :class:`NumberSeries` under a row lock in the issuing transaction.
A block of numbers can be taken at once for batch issue; if the transaction rolls back,
the series rolls back with it, so no number is lost or used twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kyklos.billing.models import DEFAULT_NUMBER_PATTERN, DocumentKind, NumberSeries

DEFAULT_PREFIXES = {
    DocumentKind.PROFORMA: "PRO",
    DocumentKind.INVOICE: "INV",
    DocumentKind.RECEIPT: "RCP",
    DocumentKind.CREDIT_NOTE: "CN",
}


def _series_defaults(kind: str) -> dict:
    """A new year's series: prefix and pattern from the settings
    (``KYKLOS_NUMBER_PREFIXES``, ``KYKLOS_NUMBER_PATTERN``), else the defaults."""
    prefixes = {**DEFAULT_PREFIXES, **getattr(settings, "KYKLOS_NUMBER_PREFIXES", {})}
    return {
        "prefix": prefixes[kind],
        "pattern": getattr(settings, "KYKLOS_NUMBER_PATTERN", "") or DEFAULT_NUMBER_PATTERN,
    }


def format_number(series: NumberSeries, sequence: int) -> str:
    return series.format(sequence)


def allocate(kind: str, year: int, count: int = 1) -> tuple[NumberSeries, int]:
    """Reserve ``count`` consecutive numbers; returns the series and the first one.

    Must run inside the transaction that saves the documents.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers must be allocated inside the issuing transaction")
    NumberSeries.objects.get_or_create(kind=kind, year=year, defaults=_series_defaults(kind))
    series = NumberSeries.objects.select_for_update().get(kind=kind, year=year)
    first = series.next_number
    NumberSeries.objects.filter(pk=series.pk).update(next_number=F("next_number") + count)
    return series, first
