"""Small registries that let apps plug into core-owned mechanisms without import cycles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class DailyStep:
    """One kind of work in the daily run.

    ``func(day, run)`` performs everything due on or before ``day`` that has not been done
    yet, set-based, and returns ``{action_kind: count}``. It must be idempotent.

    A step that is ``chunkable`` promises to touch only the customers of ``run``'s range
    (:meth:`RunContext.in_range`): the run may then split it by customer-id ranges, run
    the ranges one after another or on several workers at once. Other steps run once per
    run, over everything.
    """

    name: str
    order: int
    func: Callable[[date, Any], dict[str, int]]
    chunkable: bool = False


@dataclass
class RunContext:
    """What a daily step is given as ``run``: the batch size, and for a chunkable step
    the range of customer ids it is to work on (``customer_from`` included,
    ``customer_to`` excluded; ``None`` means unbounded)."""

    batch_size: int = 0
    customer_from: int | None = None
    customer_to: int | None = None
    #: Values read once per run and shared by its steps (see :meth:`memo`).
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.batch_size = self.batch_size or settings.KYKLOS_BATCH_SIZE

    @property
    def is_chunk(self) -> bool:
        return self.customer_from is not None or self.customer_to is not None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run (e.g. the policies or the price list)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def in_range(self, qs, field: str = "customer_id"):
        """``qs`` limited to this run's customers (all of them outside a chunk)."""
        if self.customer_from is not None:
            qs = qs.filter(**{f"{field}__gte": self.customer_from})
        if self.customer_to is not None:
            qs = qs.filter(**{f"{field}__lt": self.customer_to})
        return qs


@dataclass
class Registry:
    steps: dict[str, DailyStep] = field(default_factory=dict)

    def register_daily_step(
        self, name: str, order: int, func: Callable, *, chunkable: bool = False
    ) -> None:
        self.steps[name] = DailyStep(name, order, func, chunkable)

    def daily_steps(self) -> list[DailyStep]:
        return sorted(self.steps.values(), key=lambda s: (s.order, s.name))


registry = Registry()
