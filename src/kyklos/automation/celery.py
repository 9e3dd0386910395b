"""The Celery application that runs the daily run's chunks on workers.

Start a worker on each machine (same code, same settings, same database)::

    KYKLOS_DAILY_BROKER=redis://127.0.0.1:6379/0 celery -A kyklos.automation.celery worker

The workers listen on the queue ``KYKLOS_DAILY_QUEUE`` (default ``kyklos-daily``).

Tasks are acknowledged after they finish (``acks_late``) and put back when their worker
process dies (``reject_on_worker_lost``), so a killed chunk is retried by another worker;
the chunk's advisory lock and the idempotent steps make the retry finish the work without
repeating any of it. The broker's visibility timeout (``KYKLOS_DAILY_CHUNK_TIMEOUT``)
must exceed the longest chunk.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyklos.config.settings")

from django.conf import settings  # noqa: E402  (after the settings module is named)

app = Celery("kyklos")


def configure() -> Celery:
    """Point the app at ``KYKLOS_DAILY_BROKER`` (read again each time: tests and
    commands may change the setting after import)."""
    broker = settings.KYKLOS_DAILY_BROKER or "memory://"
    if app.conf.broker_url != broker or app.conf.task_default_queue != settings.KYKLOS_DAILY_QUEUE:
        app.conf.update(
            task_default_queue=settings.KYKLOS_DAILY_QUEUE,
            broker_url=broker,
            result_backend=settings.KYKLOS_DAILY_BROKER or "cache+memory://",
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            result_expires=24 * 3600,
            broker_transport_options={"visibility_timeout": settings.KYKLOS_DAILY_CHUNK_TIMEOUT},
            broker_connection_retry_on_startup=True,
        )
    return app


configure()
app.autodiscover_tasks(["kyklos.automation"])
