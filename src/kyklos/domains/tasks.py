"""The durable job of domains (``django_tasks``, enqueued after the commit through
``kyklos.core.tasks.enqueue``): run every due registry job. Idempotent: it runs only what
is due, and a job held by another worker is left to it."""

from django_tasks import task

from kyklos.domains import services


@task()
def run_jobs() -> dict[str, int]:
    return dict(services.run_due())
