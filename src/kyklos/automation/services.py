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

from kyklos.automation.models import AutomationRun, RunAttempt
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
    are read outside the freeze, so they say when the run really happened. Each call is
    recorded as an attempt of the day's run; an attempt that fails is marked ``failed``
    with its error (and so is the run, unless an earlier attempt finished), and the error
    is raised again.
    """
    started = time.perf_counter()
    run, created = AutomationRun.objects.get_or_create(
        day=day, defaults={"started_at": clock.now()}
    )
    previous = None if created else run.finished_at or run.started_at
    attempt = _new_attempt(run, created)
    try:
        with clock.frozen(day) if day != clock.today() else nullcontext(), _without_jit():
            actions = run_steps(day, batch_size=batch_size, in_process=in_process)
    except BaseException as error:
        _record_failure(run, attempt, error)
        raise
    summary = {k: v for k, v in sorted(actions.items()) if v}
    finished = clock.now()
    RunAttempt.objects.filter(pk=attempt.pk).update(
        status=AutomationRun.Status.DONE, finished_at=finished, summary=summary
    )
    AutomationRun.objects.filter(pk=run.pk).update(
        status=AutomationRun.Status.DONE,
        finished_at=run.finished_at if run.status == AutomationRun.Status.DONE else finished,
        summary=_added(run.summary if not created else {}, summary),
    )
    return DayResult(
        day, summary, previous.isoformat() if previous else None, time.perf_counter() - started
    )


def _new_attempt(run: AutomationRun, created: bool) -> RunAttempt:
    """The next attempt of ``run``, numbered under a lock of the run's row, so that runs
    of the same day started at once never take the same number."""
    with transaction.atomic():
        if not created:
            locked = AutomationRun.objects.select_for_update().get(pk=run.pk)
            run.attempts = locked.attempts + 1
            changes = {"attempts": run.attempts}
            if locked.status == AutomationRun.Status.FAILED:
                changes["status"] = AutomationRun.Status.RUNNING
            AutomationRun.objects.filter(pk=run.pk).update(**changes)
        return RunAttempt.objects.create(run=run, number=run.attempts, started_at=clock.now())


def _added(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    """The actions of all attempts so far."""
    keys = sorted(set(total) | set(more))
    return {k: total.get(k, 0) + more.get(k, 0) for k in keys}


def _record_failure(run: AutomationRun, attempt: RunAttempt, error: BaseException) -> None:
    """Mark the attempt (and the run, unless an attempt already finished it) failed, with
    the error's first line. Inside a broken transaction (the simulator's) nothing can be
    written, and nothing needs to be: the whole simulation is rolled back."""
    text = f"{type(error).__name__}: {error}".splitlines()[0][:2000]
    try:
        RunAttempt.objects.filter(pk=attempt.pk).update(
            status=AutomationRun.Status.FAILED, finished_at=clock.now(), error=text
        )
        AutomationRun.objects.filter(pk=run.pk).exclude(status=AutomationRun.Status.DONE).update(
            status=AutomationRun.Status.FAILED
        )
    except DatabaseError:
        pass


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
