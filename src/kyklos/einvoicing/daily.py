"""E-invoicing's step of the daily run (docs/einvoicing.md)."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.einvoicing import services


def transmit(day: date, run=None) -> dict[str, int]:
    """Tax documents without their transmissions get them, a sweep sends everything due
    after the step commits, and billing staff hear what is still unreported.

    Nothing is sent inside the run: the sweep is a job enqueued after the commit (under
    the simulator, whose transaction is rolled back, it never runs)."""
    return services.report_day(day)


def register() -> None:
    registry.register_daily_step("einvoicing.transmit", transmit)
