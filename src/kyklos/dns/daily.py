"""DNS hosting's step of the daily run: a sweep that publishes every zone still due
(a lost job, a retry whose time has come), enqueued after the step commits."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.core.tasks import enqueue


def publish(day: date, run=None) -> dict[str, int]:
    from kyklos.dns import tasks
    from kyklos.dns.models import Zone

    enqueue(tasks.push_pending)
    return {"dns_zones_failed": Zone.objects.filter(sync=Zone.Sync.FAILED).count()}


def register() -> None:
    registry.register_daily_step("dns.publish", publish)
