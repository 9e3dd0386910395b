import sqlite3

from django.apps import AppConfig
from django.db.backends.signals import connection_created

#: SQLite has allowed 32766 bound variables per statement since 3.32; Django 5.2 still
#: assumes 999, which splits every bulk insert of more than a few dozen rows.
SQLITE_MAX_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def _tune_sqlite(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.features.max_query_params = SQLITE_MAX_VARIABLES


def check_task_backends(app_configs=None, **kwargs) -> list:
    """django_tasks' own check of the ``TASKS`` backends, which it registers as an installed
    app; Kyklos does not install it (it is imported with the first job, decision 0041)."""
    from django_tasks import task_backends

    return [message for backend in task_backends.all() for message in backend.check()]


class CoreConfig(AppConfig):
    name = "kyklos.core"
    label = "core"
    verbose_name = "Kyklos core"

    def ready(self) -> None:
        from django.core import checks

        from kyklos.core.registry import check_daily_steps

        connection_created.connect(_tune_sqlite, dispatch_uid="kyklos.tune_sqlite")
        checks.register(check_daily_steps)
        checks.register(check_task_backends)
        # Core's own extensions and every other app's are registered on the first read of
        # a registry (kyklos.core.discovery, decision 0041), not here.
