"""The durable jobs of e-invoicing (``django_tasks``; enqueued after the commit through
``kyklos.core.tasks.enqueue``). Both are idempotent: they send only what is due, and a
transmission held by another sender is left to it."""

from django_tasks import task

from kyklos.einvoicing import services


@task()
def send_documents(invoice_ids: list[int]) -> dict[str, int]:
    """Send the due transmissions of these documents (just issued, or re-sent)."""
    return dict(services.send_due(invoice_ids=invoice_ids))


@task()
def send_pending() -> dict[str, int]:
    """Send every due transmission (the sweep)."""
    return dict(services.send_due())
