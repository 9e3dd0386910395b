"""The durable jobs' wake-up (``django_tasks``, enqueued after the commit through
``kyklos.core.tasks.enqueue``). The rows are the queue: a lost wake-up costs nothing, the
next sweep (daily step, ``kyklos provisioning work``) finds every due job."""

import logging

from django_tasks import task

from kyklos.provisioning import services

log = logging.getLogger(__name__)


@task()
def run_jobs() -> dict[str, int]:
    """Run every due provisioning job."""
    return dict(services.run_due())


@task()
def forget_backups(day: str) -> int:
    """Forget the snapshots whose keeping time has passed on ``day``."""
    from datetime import date

    from kyklos.provisioning.modules.base import ModuleError

    try:
        return services.forget_expired(date.fromisoformat(day))
    except ModuleError:  # the repository is unreachable: the next day's run tries again
        log.exception("provisioning: forgetting expired backups failed")
        return 0


@task()
def check_usage(day: str) -> dict[str, int]:
    """R2.5: read the usage of the accounts due on ``day`` and tell over-usage."""
    from datetime import date

    return dict(services.check_usage(date.fromisoformat(day)))
