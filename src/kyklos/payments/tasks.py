"""The durable job of payments (``django_tasks``; enqueued after the commit through
``kyklos.core.tasks.enqueue``): charge the saved cards whose attempt is due. Idempotent:
it takes only claimed, due rows, and the provider gets the attempt's idempotency key."""

from django_tasks import task

from kyklos.payments import cards


@task()
def charge_cards() -> dict[str, int]:
    return dict(cards.charge_due())
