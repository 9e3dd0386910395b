"""The durable jobs of DNS hosting (``django_tasks``, enqueued after the commit through
``kyklos.core.tasks.enqueue``): idempotent, they push only zones that are due."""

from django_tasks import task

from kyklos.dns import services


@task()
def push_zones(zone_ids: list[int]) -> dict[str, int]:
    """Publish these zones (just changed) to PowerDNS."""
    return dict(services.push_due(zone_ids=zone_ids))


@task()
def push_pending() -> dict[str, int]:
    """Publish every due zone (the sweep)."""
    return dict(services.push_due())
