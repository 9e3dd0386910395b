"""The one way Kyklos enqueues background work.

Tasks are enqueued after the surrounding transaction commits, so a worker never sees
a row that may still roll back. The backend (``TASKS`` setting) is inline by default;
scaling out only changes the setting.
"""

from functools import partial

from django.db import transaction


def enqueue(task, *args, **kwargs) -> None:
    transaction.on_commit(partial(task.enqueue, *args, **kwargs))
