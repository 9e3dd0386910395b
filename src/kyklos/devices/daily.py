"""Device activity is kept only for its retention period (R9.4, R11.1).

Before deleting, the day's events are folded into anonymised statistics (events and
distinct boxes per day and kind), so usage figures survive without any identifier.
Set-based: one aggregate, one upsert, one DELETE per run.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from kyklos.core import clock
from kyklos.core.registry import registry
from kyklos.devices.models import ActivityStat, DeviceActivity


def retention_days() -> int:
    return getattr(settings, "KYKLOS_DEVICE_ACTIVITY_DAYS", 90)


def purge_activity(day: date, run=None) -> dict[str, int]:
    """Device activity past its retention period is folded into daily statistics, then deleted."""
    cutoff = clock.start_of_day(day - timedelta(days=retention_days()))
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
