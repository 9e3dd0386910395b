"""Small registries that let apps plug into core-owned mechanisms without import cycles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class DailyStep:
    """One kind of work in the daily run.

    ``func(day, run)`` performs everything due on or before ``day`` that has not been done
    yet, set-based, and returns ``{action_kind: count}``. It must be idempotent.
    """

    name: str
    order: int
    func: Callable[[date, Any], dict[str, int]]


@dataclass
class Registry:
    steps: dict[str, DailyStep] = field(default_factory=dict)

    def register_daily_step(self, name: str, order: int, func: Callable) -> None:
        self.steps[name] = DailyStep(name, order, func)

    def daily_steps(self) -> list[DailyStep]:
        return sorted(self.steps.values(), key=lambda s: (s.order, s.name))


registry = Registry()
