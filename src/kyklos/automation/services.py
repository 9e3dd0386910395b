"""The daily run and its simulator: one implementation.

:func:`run_day` runs every registered daily step (see ``kyklos.core.registry``) for a
date with the clock frozen on it, chunk by chunk of customers in local worker processes,
in this process or on Celery workers (:mod:`kyklos.automation.runner`). :func:`simulate`
calls :func:`run_day` for each day of a range in this process and keeps nothing: on
PostgreSQL it commits each day into a scratch copy of the tables
(:mod:`kyklos.automation.scratch`), elsewhere it rolls one transaction back.

Both accept any date: the simulator runs future days in its copy, the tests inside
transactions that are rolled back. What a real run may be asked to do is decided before, by
:func:`check_run_days` (the run window) and :func:`record_future_override`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from kyklos.automation.models import AutomationRun, RunAttempt
from kyklos.automation.runner import run_steps
from kyklos.core import clock
from kyklos.core.audit import SYSTEM, log_action_rows
from kyklos.core.cli import EARLIEST, LATEST

#: The audit action of a daily run started for days after today (``--allow-future``).
FUTURE_RUN_ALLOWED = "automation.future_run_allowed"


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
    written, and nothing needs to be: the simulated day is rolled back."""
    text = failure_text(error)
    try:
        RunAttempt.objects.filter(pk=attempt.pk).update(
            status=AutomationRun.Status.FAILED, finished_at=clock.now(), error=text
        )
        AutomationRun.objects.filter(pk=run.pk).exclude(status=AutomationRun.Status.DONE).update(
            status=AutomationRun.Status.FAILED
        )
    except DatabaseError:
        pass


def failure_text(error: BaseException) -> str:
    """The first line of ``error``, as a failed attempt keeps it."""
    return (f"{type(error).__name__}: {error}".splitlines() or [type(error).__name__])[0][:2000]


# --- the run window -----------------------------------------------------------------------


class RunRefused(ValueError):
    """Days a real daily run must not be asked to run. ``override`` names the keyword of
    :func:`check_run_days` that would allow them (``allow_future`` or ``confirmed``), or is
    empty when nothing does."""

    def __init__(self, message: str, override: str = "") -> None:
        super().__init__(message)
        self.override = override


@dataclass(frozen=True)
class RunWindow:
    """What :func:`check_run_days` found: the days asked for, today, and how many of the
    days lie ahead of today (allowed only by the explicit override)."""

    first: date
    last: date
    today: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days_ahead(self) -> int:
        return max(0, (self.last - max(self.first, self.today + timedelta(days=1))).days + 1)


def check_run_days(
    first: date,
    last: date | None = None,
    *,
    allow_future: bool = False,
    confirmed: bool = False,
) -> RunWindow:
    """Refuse (:class:`RunRefused`) the days ``first``–``last`` for a real daily run unless
    they lie in the run window; writes nothing.

    - no day Kyklos cannot hold (:data:`kyklos.core.cli.EARLIEST`–``LATEST``);
    - no day more than ``KYKLOS_CATCH_UP_DAYS`` before today (the provider's time zone);
    - more than ``KYKLOS_CONFIRM_RANGE_DAYS`` days at once only when ``confirmed``;
    - no day after today unless ``allow_future`` (then :func:`record_future_override`).

    :func:`run_day` itself accepts any date (the simulator's and the tests' future days);
    callers that run for real — the command, a scheduler, a script — call this first.
    """
    last = first if last is None else last
    if last < first:
        raise RunRefused(f"the range ends ({last}) before it starts ({first})")
    if first < EARLIEST or last > LATEST:
        raise RunRefused(f"Kyklos runs days from {EARLIEST} to {LATEST} only")
    today = clock.today()
    catch_up = settings.KYKLOS_CATCH_UP_DAYS
    oldest = today - timedelta(days=catch_up)
    if first < oldest:
        raise RunRefused(
            f"{first} is more than {catch_up} days before today ({today}); the daily run "
            f"catches up from {oldest} at the earliest (KYKLOS_CATCH_UP_DAYS)"
        )
    window = RunWindow(first, last, today)
    limit = settings.KYKLOS_CONFIRM_RANGE_DAYS
    if window.days > limit and not confirmed:
        raise RunRefused(
            f"{first} to {last} is {window.days} days, more than {limit} "
            "(KYKLOS_CONFIRM_RANGE_DAYS); confirm the range to run it",
            "confirmed",
        )
    if window.days_ahead and not allow_future:
        raise RunRefused(
            f"{last} is after today ({today}); a day ahead of today runs only with the "
            "explicit override",
            "allow_future",
        )
    return window


def record_future_override(window: RunWindow, *, actor=SYSTEM) -> None:
    """Leave an audit event that days ahead of today were run on purpose (by ``actor``,
    "system" for the command), naming them; dated now, not on the future day."""
    if not window.days_ahead:
        return
    log_action_rows(
        [
            (
                "automation.automationrun",
                window.first.isoformat(),
                None,
                {
                    "first": window.first.isoformat(),
                    "last": window.last.isoformat(),
                    "today": window.today.isoformat(),
                    "days_ahead": window.days_ahead,
                },
            )
        ],
        FUTURE_RUN_ALLOWED,
        actor=actor,
    )


def run_range(
    first: date,
    last: date,
    *,
    batch_size: int = 0,
    in_process: bool = False,
    on_day: Callable[[DayResult], None] | None = None,
) -> list[DayResult]:
    """The daily runs of ``first`` … ``last`` in order; ``on_day`` is told of each (the
    commands draw their progress line with it)."""
    if last < first:
        raise ValueError("the range ends before it starts")
    results = []
    for i in range((last - first).days + 1):
        result = run_day(first + timedelta(days=i), batch_size=batch_size, in_process=in_process)
        results.append(result)
        if on_day is not None:
            on_day(result)
    return results


#: Every so many simulated days the scratch copy is vacuumed and analyzed (autovacuum's work).
TIDY_DAYS = 7


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


def simulate(
    start: date,
    days: int,
    *,
    batch_size: int = 0,
    on_day: Callable[[DayResult], None] | None = None,
) -> list[DayResult]:
    """What the daily runs from ``start`` for ``days`` days would do if nobody paid.

    Runs the real steps and keeps nothing. On PostgreSQL (outside a transaction) in a
    scratch copy of the tables, committing day by day, so that a day's cost does not grow
    with the row versions of the days before it (decision 0039); elsewhere inside one
    transaction that is rolled back. Either way nothing the runs would do after their
    commit — jobs for the registries and servers, card charges — happens.
    """
    if days < 1:
        raise ValueError("simulate at least one day")
    last = start + timedelta(days=days - 1)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _simulate_in_copy(start, last, batch_size, on_day)
    results: list[DayResult] = []
    try:
        with transaction.atomic(), _without_jit():
            results = run_range(start, last, batch_size=batch_size, in_process=True, on_day=on_day)
            raise _Rollback
    except _Rollback:
        pass
    return results


def _simulate_in_copy(
    start: date, last: date, batch_size: int, on_day: Callable[[DayResult], None] | None
) -> list[DayResult]:
    from kyklos.automation import scratch

    results = []
    with scratch.scratch_copy(), _without_jit():
        for i in range((last - start).days + 1):
            with transaction.atomic():
                result = run_day(start + timedelta(days=i), batch_size=batch_size, in_process=True)
                # what would run after the commit talks to the world: never in a simulation
                connection.run_on_commit = []
            results.append(result)
            if on_day is not None:
                on_day(result)
            if (i + 1) % TIDY_DAYS == 0:
                scratch.tidy()
    return results
