"""How the daily run's steps are executed: whole, or split by customer-id ranges.

The registered steps (``kyklos.core.registry``) are taken in the order of
``settings.KYKLOS_DAILY_STEPS`` (``kyklos automate --plan`` prints it) and grouped into
*phases*: a run of consecutive chunkable steps is one phase, every other step is a phase
of its own. Phases run one after another. A chunked phase is split into chunks of
``KYKLOS_DAILY_CHUNK_CUSTOMERS`` customer ids — chunk ``k`` covers ids
``[k·width, (k+1)·width)``, the same ranges for every run and worker — and each chunk
runs the phase's steps in order for its customers only.

Chunks run in this process by default. When ``KYKLOS_DAILY_BROKER`` names a Celery
broker they are sent as tasks (:mod:`kyklos.automation.tasks`) to the workers listening
on it, and the run waits for all of a phase's chunks before the next phase.

Exactly once: whoever runs a chunk holds the PostgreSQL advisory lock of that chunk
(:mod:`kyklos.automation.locks`) for as long as it works on it, so two runs, or two
workers, never work on the same customers at the same time; inside the lock each step
does only what the data says is not done yet (unique renewals and notices, states that
move on), so a chunk run again after a worker died — or by a second run — finishes what
is left and repeats nothing. A whole-run step holds a lock named after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date

from django.conf import settings
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
    inside a transaction no worker can see).
    """
    broker = settings.KYKLOS_DAILY_BROKER and not in_process
    counts: Counter = Counter()
    for phase in phases(registry.daily_steps()):
        if not phase.chunked:
            counts.update(run_whole(day, phase.steps[0], batch_size=batch_size))
        elif broker:
            counts.update(_on_workers(day, phase, batch_size))
        else:
            counts.update(_in_process(day, phase, batch_size))
    return counts


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
