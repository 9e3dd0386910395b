"""The durable jobs of certificates (``django_tasks``, enqueued after the commit)."""

from django_tasks import task

from kyklos.certificates import services


@task()
def issue_certificates(ids: list[int]) -> dict[str, int]:
    """Issue (or renew) these certificates, if still due."""
    return dict(services.issue_due(ids=ids))


@task()
def issue_pending() -> dict[str, int]:
    """Issue every due certificate (the sweep)."""
    return dict(services.issue_due())
