"""Provisioning's steps of the daily run (docs/provisioning.md).

Nothing talks to a server inside the run: the steps write job rows and enqueue the sweep
for after the commit (under the simulator, whose transaction is rolled back, it never
runs)."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.core.tasks import enqueue


def backups(day: date, run=None) -> dict[str, int]:
    """R5.2: the day's backup jobs (daily; monthly on the 15th) and forgetting the
    snapshots past their keeping time."""
    from kyklos.provisioning import services, tasks

    made = services.schedule_backups(day)
    enqueue(tasks.forget_backups, day.isoformat())
    return {"provisioning_backup_jobs": made} if made else {}


def mail_logs(day: date, run=None) -> dict[str, int]:
    """R5.7: mail-server log lines older than the retention (7 days) are removed."""
    from kyklos.provisioning import logs

    removed = logs.prune(day)
    return {"provisioning_mail_log_lines_removed": removed} if removed else {}


def usage(day: date, run=None) -> dict[str, int]:
    """R2.5: each live account's usage is read once a week (spread over the days) after
    the run's commit, and an account over a limit is told to its customer and to staff;
    nothing is suspended for it."""
    from kyklos.provisioning import tasks

    enqueue(tasks.check_usage, day.isoformat())
    return {}


def register() -> None:
    registry.register_daily_step("provisioning.backups", backups)
    registry.register_daily_step("provisioning.mail_logs", mail_logs)
    registry.register_daily_step("provisioning.usage", usage)
