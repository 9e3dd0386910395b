"""E-invoicing's notice: the daily report to billing staff of what is still unreported."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.urls import reverse

from kyklos.notifications import services as notifications
from kyklos.notifications.models import Outbox

EVENT = "einvoicing_unreported"
#: The language of the report: the provider's country's, else English.
STAFF_LANGUAGE = {"GR": "el", "CY": "el", "PL": "pl"}


def tell_billing(day: date, summary) -> bool:
    """Queue the day's report to the provider's billing address when documents are still
    unreported, at most once a day. Returns whether one was queued."""
    address = settings.KYKLOS_PROVIDER.get("email", "")
    if not summary.total or not address:
        return False
    if Outbox.objects.filter(event=EVENT, for_date=day).exists():
        return False
    url = settings.KYKLOS_PORTAL_URL.rstrip("/") + reverse("admin:billing_transmission_changelist")
    notifications.queue_message(
        event=EVENT,
        to_email=address,
        language=STAFF_LANGUAGE.get(settings.KYKLOS_COUNTRY, "en"),
        context={
            "day": day.isoformat(),
            "total": summary.total,
            "failed": summary.failed,
            "oldest": summary.oldest.isoformat() if summary.oldest else "",
            "channels": ", ".join(f"{k}: {v}" for k, v in sorted(summary.by_channel.items())),
            "url": f"{url}?status__exact=failed" if summary.failed else url,
        },
        for_date=day,
    )
    return True


def register() -> None:
    notifications.register_event(EVENT, ("day", "total", "failed", "oldest", "channels", "url"))
