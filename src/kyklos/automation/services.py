"""The daily run and its simulator: one implementation.

:func:`run_day` runs every registered daily step (see ``kyklos.core.registry``) for a
date with the clock frozen on it, chunk by chunk of customers in this process or on
Celery workers (:mod:`kyklos.automation.runner`). :func:`simulate` calls :func:`run_day`
for each day of a range inside one transaction, in this process, and rolls it back.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import DatabaseError, connection, transaction

from kyklos.automation.models import AutomationRun
from kyklos.automation.runner import run_steps
from kyklos.core import clock


@dataclass
class DayResult:
    day: date
    actions: dict[str, int] = field(default_factory=dict)
    previous_run_at: str | None = None
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(v for k, v in self.actions.items() if not k.endswith("_skipped"))

    def as_dict(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "actions": self.actions,
            "previous_run_at": self.previous_run_at,
            "seconds": round(self.seconds, 3),
        }


def run_day(day: date, *, batch_size: int = 0, in_process: bool = False) -> DayResult:
    """Perform everything due on or before ``day`` that is not done yet.

    The clock is frozen on ``day`` unless it is today; the run's own start and end times
    are read outside the freeze, so they say when the run really happened.
    """
    started = time.perf_counter()
    run, created = AutomationRun.objects.get_or_create(
        day=day, defaults={"started_at": clock.now()}
    )
    previous = None if created else run.finished_at or run.started_at
    if not created:
        AutomationRun.objects.filter(pk=run.pk).update(attempts=run.attempts + 1)
    with clock.frozen(day) if day != clock.today() else nullcontext(), _without_jit():
        actions = run_steps(day, batch_size=batch_size, in_process=in_process)
    summary = {k: v for k, v in sorted(actions.items()) if v}
    if created or run.status != AutomationRun.Status.DONE:
        AutomationRun.objects.filter(pk=run.pk).update(
            status=AutomationRun.Status.DONE, finished_at=clock.now(), summary=summary
        )
    return DayResult(
        day, summary, previous.isoformat() if previous else None, time.perf_counter() - started
    )


def run_range(
    first: date, last: date, *, batch_size: int = 0, in_process: bool = False
) -> list[DayResult]:
    if last < first:
        raise ValueError("the range ends before it starts")
    return [
        run_day(first + timedelta(days=i), batch_size=batch_size, in_process=in_process)
        for i in range((last - first).days + 1)
    ]


class _Rollback(Exception):
    pass


@contextmanager
def _without_jit():
    """PostgreSQL's JIT compilation off for the run (this process's session).

    The run's statements are short set-based queries; a few of them (the retention
    targets' correlated sub-queries) have plan costs far above ``jit_above_cost`` and then
    spend some 300 ms compiling for a query that runs in 10 ms — every day. Restored
    afterwards; nothing to do on SQLite or when it is already off (inside :func:`simulate`).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', false)")
        before = cursor.fetchone()[0]
    try:
        yield
    finally:
        if before != "off":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('jit', %s, false)", [before])
            except DatabaseError:  # the transaction failed: its rollback restores it
                pass


def simulate(start: date, days: int, *, batch_size: int = 0) -> list[DayResult]:
    """What the daily runs from ``start`` for ``days`` days would do if nobody paid.

    Runs the real steps inside a transaction that is always rolled back.
    """
    if days < 1:
        raise ValueError("simulate at least one day")
    results: list[DayResult] = []
    try:
        with transaction.atomic(), _without_jit():
            results = run_range(
                start, start + timedelta(days=days - 1), batch_size=batch_size, in_process=True
            )
            raise _Rollback
    except _Rollback:
        pass
    return results
