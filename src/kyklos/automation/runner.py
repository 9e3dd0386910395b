"""How the daily run's steps are executed: whole, or split by customer-id ranges.

The registered steps (``kyklos.core.registry``) are taken in the order of
``settings.KYKLOS_DAILY_STEPS`` (``kyklos automate --plan`` prints it) and grouped into
*phases*: a run of consecutive chunkable steps is one phase, every other step is a phase
of its own. Phases run one after another. A chunked phase is split into chunks of
``KYKLOS_DAILY_CHUNK_CUSTOMERS`` customer ids — chunk ``k`` covers ids
``[k·width, (k+1)·width)``, the same ranges for every run and worker — and each chunk
runs the phase's steps in order for its customers only.

Chunks run in local worker processes: on PostgreSQL, ``KYKLOS_DAILY_PROCESSES`` of them
(default one per CPU), forked once per run and given the chunks of each phase in turn;
on SQLite (one writer at a time), or with one process, in this process, one after
another. When ``KYKLOS_DAILY_BROKER`` names a Celery broker they are sent as tasks
(:mod:`kyklos.automation.tasks`) to the workers listening on it instead. Either way the
run waits for all of a phase's chunks before the next phase, and the steps that are not
chunkable run in this process between the phases.

Exactly once: whoever runs a chunk holds the PostgreSQL advisory lock of that chunk
(:mod:`kyklos.automation.locks`) for as long as it works on it, so two runs, or two
workers, never work on the same customers at the same time; inside the lock each step
does only what the data says is not done yet (unique renewals and notices, states that
move on), so a chunk run again after a worker died — or by a second run — finishes what
is left and repeats nothing. A whole-run step holds a lock named after it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection, connections
from django.db.models import Max

from kyklos.automation import locks
from kyklos.core import clock
from kyklos.core.registry import DailyStep, RunContext, registry
from kyklos.customers.models import Customer


@dataclass(frozen=True)
class Phase:
    steps: tuple[DailyStep, ...]
    chunked: bool

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]


@dataclass(frozen=True)
class Chunk:
    index: int
    first: int  # customer id, included
    end: int  # customer id, excluded

    @property
    def lock(self) -> str:
        return f"kyklos.daily.chunk:{self.index}"


def phases(steps: Iterable[DailyStep]) -> list[Phase]:
    found: list[Phase] = []
    for step in steps:
        if step.chunkable and found and found[-1].chunked:
            found[-1] = Phase((*found[-1].steps, step), True)
        else:
            found.append(Phase((step,), step.chunkable))
    return found


@dataclass(frozen=True)
class PlannedStep:
    position: int
    name: str
    chunkable: bool
    summary: str

    def as_dict(self) -> dict:
        return {
            "position": self.position,
            "name": self.name,
            "chunkable": self.chunkable,
            "summary": self.summary,
        }


def plan() -> list[PlannedStep]:
    """The daily run's steps in the order they run, without running any."""
    return [
        PlannedStep(position, step.name, step.chunkable, step.summary)
        for position, step in enumerate(registry.daily_steps(), start=1)
    ]


def chunks(width: int | None = None) -> list[Chunk]:
    """The chunks that cover every customer there is now."""
    width = width or settings.KYKLOS_DAILY_CHUNK_CUSTOMERS
    if width < 1:
        raise ValueError("KYKLOS_DAILY_CHUNK_CUSTOMERS must be at least 1")
    top = Customer.objects.aggregate(top=Max("pk"))["top"] or 0
    return [Chunk(k, k * width, (k + 1) * width) for k in range(top // width + 1)]


def _frozen(day: date):
    return clock.frozen(day) if day != clock.today() and not clock.is_frozen() else nullcontext()


def run_chunk(
    day: date, names: list[str], chunk: Chunk, *, batch_size: int = 0, wait: bool = True
) -> Counter | None:
    """Run the steps ``names`` for the customers of ``chunk`` under its lock; None when
    another run holds it and ``wait`` is false."""
    with locks.advisory(chunk.lock, wait=wait) as taken:
        if not taken:
            return None
        ctx = RunContext(batch_size=batch_size, customer_from=chunk.first, customer_to=chunk.end)
        counts: Counter = Counter()
        with _frozen(day):
            for name in names:
                counts.update(registry.steps[name].func(day, ctx))
        return counts


def run_whole(day: date, step: DailyStep, *, batch_size: int = 0) -> Counter:
    with locks.advisory(f"kyklos.daily.step:{step.name}"), _frozen(day):
        return Counter(step.func(day, RunContext(batch_size=batch_size)))


def run_steps(day: date, *, batch_size: int = 0, in_process: bool = False) -> Counter:
    """Run every registered step for ``day``; returns the summed action counts.

    ``in_process`` forces chunks into this process (the simulator needs it: its work is
    inside a transaction no worker can see); so does a transaction open around the run.
    """
    in_process = in_process or connection.in_atomic_block
    broker = settings.KYKLOS_DAILY_BROKER and not in_process
    found = phases(registry.daily_steps())
    pool = None
    if not broker and not in_process and any(p.chunked for p in found):
        size = min(processes(), len(chunks()))
        pool = Pool(size) if size > 1 else None
    counts: Counter = Counter()
    try:
        for phase in found:
            if not phase.chunked:
                counts.update(run_whole(day, phase.steps[0], batch_size=batch_size))
            elif broker:
                counts.update(_on_workers(day, phase, batch_size))
            elif pool is not None:
                counts.update(pool.run_phase(day, phase, batch_size))
            else:
                counts.update(_in_process(day, phase, batch_size))
    finally:
        if pool is not None:
            pool.close()
    return counts


def processes() -> int:
    """How many local processes run a chunked phase (``KYKLOS_DAILY_PROCESSES``; 0: one
    per CPU this process may use). Always 1 on SQLite: one writer at a time."""
    if connection.vendor != "postgresql":
        return 1
    wanted = settings.KYKLOS_DAILY_PROCESSES
    if wanted < 0:
        raise ValueError("KYKLOS_DAILY_PROCESSES must be 0 (one per CPU) or more")
    if wanted == 0:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        wanted = wanted or os.cpu_count() or 1
    return wanted


class WorkerDied(RuntimeError):
    """A worker process of the daily run ended without finishing its chunk."""


class Pool:
    """``size`` worker processes for one daily run, forked from this one at the start.

    Each worker has its own database session. A phase's chunks are handed out one at a
    time to whichever worker is free; a worker first *tries* a chunk's lock and hands it
    back when another run holds it; those chunks are then given out again to wait for
    the lock (and find nothing left to do, or what the other run left). A failed chunk
    fails the run: the chunks not started are not started, the ones running finish, and
    every finished batch stays done for the next run.
    """

    def __init__(self, size: int) -> None:
        # A forked process must not share this process's database connection: close it
        # here (the run's next statement opens a new one) and fork with none open.
        connections.close_all()
        self.size = size
        self.executor = ProcessPoolExecutor(
            size, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start
        )
        # With "fork" every worker is started at the first task. What is loaded already
        # (Django, the registry) is left out of the workers' garbage collection, so that
        # collecting does not touch — and copy — the pages they share with this process.
        gc.freeze()
        try:
            self.executor.submit(os.getpid).result()
        finally:
            gc.unfreeze()
        self.workers = list(getattr(self.executor, "_processes", {}).values())
        _session_start()

    def run_phase(self, day: date, phase: Phase, batch_size: int) -> Counter:
        counts: Counter = Counter()
        args = (day.isoformat(), phase.names, batch_size)
        running: dict[Future, Chunk] = {
            self.executor.submit(_worker_chunk, *args, c.index, c.first, c.end, False): c
            for c in chunks()
        }
        try:
            busy = []
            for future in as_completed(running):
                done = future.result()
                if done is None:
                    busy.append(running[future])
                else:
                    counts.update(done)
            waiting = [
                self.executor.submit(_worker_chunk, *args, c.index, c.first, c.end, True)
                for c in busy
            ]
            running.update(dict.fromkeys(waiting))
            for future in waiting:
                counts.update(future.result())
        except BrokenProcessPool as error:
            self.close()  # the workers' exit codes are known once the pool has ended
            raise WorkerDied(self._died(phase)) from error
        finally:
            for future in running:
                future.cancel()
        return counts

    def _died(self, phase: Phase) -> str:
        codes = {p.exitcode for p in self.workers if p.exitcode not in (None, 0)}
        # the pool ends the other workers with SIGTERM once one has died
        codes = sorted(codes - {-signal.SIGTERM} or codes)
        how = ", ".join(
            f"killed by {signal.Signals(-c).name}" if c < 0 else f"exit code {c}" for c in codes
        )
        how = f" ({how})" if how else ""
        return (
            f"a worker process of the daily run ended abruptly{how} during "
            f"{', '.join(phase.names)}; its unfinished batches were rolled back, "
            "the next run of the day does what is left"
        )

    def close(self) -> None:
        """Wait for the chunks still running (none, unless the run failed) and end the
        workers."""
        self.executor.shutdown(wait=True, cancel_futures=True)


def _session_start() -> None:
    """What the daily run sets on the coordinator's new session: no JIT compilation (see
    ``kyklos.automation.services``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")


def _worker_start() -> None:
    """A worker's session: no JIT; no parallel workers inside a query (the run's own
    processes already keep the CPUs busy, and a parallel query starts its helpers for
    every statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', false),"
            " set_config('max_parallel_workers_per_gather', '0', false)"
        )


def _worker_chunk(
    day: str, names: list[str], batch_size: int, index: int, first: int, end: int, wait: bool
) -> dict[str, int] | None:
    counts = run_chunk(
        date.fromisoformat(day), names, Chunk(index, first, end), batch_size=batch_size, wait=wait
    )
    return None if counts is None else dict(counts)


def _in_process(day: date, phase: Phase, batch_size: int) -> Counter:
    counts: Counter = Counter()
    busy = []
    for chunk in chunks():
        done = run_chunk(day, phase.names, chunk, batch_size=batch_size, wait=False)
        if done is None:
            busy.append(chunk)  # another run has it: do the others, then wait for it
        else:
            counts.update(done)
    for chunk in busy:
        counts.update(run_chunk(day, phase.names, chunk, batch_size=batch_size, wait=True))
    return counts


def _on_workers(day: date, phase: Phase, batch_size: int) -> Counter:
    from celery import group

    from kyklos.automation.celery import configure
    from kyklos.automation.tasks import daily_chunk

    configure()
    jobs = group(
        daily_chunk.s(day.isoformat(), phase.names, c.index, c.first, c.end, batch_size).set(
            queue=settings.KYKLOS_DAILY_QUEUE
        )
        for c in chunks()
    )
    results = jobs.apply_async().get(
        timeout=settings.KYKLOS_DAILY_CHUNK_TIMEOUT, disable_sync_subtasks=False
    )
    counts: Counter = Counter()
    for result in results:
        counts.update(result)
    return counts
