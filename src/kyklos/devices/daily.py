"""Device activity is kept only for its retention period (R9.4, R11.1).

The period is the ``device_activity`` category's retention rule — data kept by the privacy
app and shown in the privacy notice — read through ``core.personal_data``, so what the
notice promises and what this step deletes come from one row (3 months from collection,
the R9.4 period for IP addresses).

Before deleting, the day's events are folded into anonymised statistics (events and
distinct boxes per day and kind), so usage figures survive without any identifier.
Set-based: one aggregate, one upsert, one DELETE per run.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from kyklos.core import clock
from kyklos.core.personal_data import personal_data
from kyklos.core.registry import registry
from kyklos.devices.models import ActivityStat, DeviceActivity

#: The data category whose retention rule applies to device activity.
CATEGORY = "device_activity"


def purge_activity(day: date, run=None) -> dict[str, int]:
    """Device activity past its retention period is folded into daily statistics, then deleted."""
    before = personal_data.retention_cutoff(CATEGORY, day)
    if before is None:  # kept while the purpose lasts
        return {}
    cutoff = clock.start_of_day(before)
    expired = DeviceActivity.objects.filter(at__lt=cutoff)
    with transaction.atomic():
        rows = (
            expired.annotate(day=TruncDate("at", tzinfo=clock.provider_tz()))
            .values("day", "kind")
            .annotate(events=Count("pk"), devices=Count("device", distinct=True))
            .order_by()
        )
        stats = [ActivityStat(**row) for row in rows]
        if not stats:
            return {}
        # A day may be folded in two runs only if activity arrived late; add to it.
        existing = {
            (s.day, s.kind): s for s in ActivityStat.objects.filter(day__in={s.day for s in stats})
        }
        new = [s for s in stats if (s.day, s.kind) not in existing]
        for s in stats:
            if (s.day, s.kind) in existing:
                old = existing[(s.day, s.kind)]
                old.events += s.events
                old.devices = max(old.devices, s.devices)
        ActivityStat.objects.bulk_create(new)
        ActivityStat.objects.bulk_update(existing.values(), ["events", "devices"])
        deleted, _ = expired.delete()
    return {"device_activity_deleted": deleted}


def register() -> None:
    registry.register_daily_step("devices.purge_activity", purge_activity)
