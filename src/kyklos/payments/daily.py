"""Payments' step of the daily run (docs/payments.md, R6.10)."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.payments import cards


def charge_due(day: date, run=None) -> dict[str, int]:
    """Queue the saved-card charges due today (renewals on their due date, and the retry
    days after a decline). They are charged by a job after the step commits; under the
    simulator, whose transaction is rolled back, never."""
    return cards.schedule_charges(day, run)


def register() -> None:
    registry.register_daily_step("payments.charge_due", charge_due, chunkable=True)
