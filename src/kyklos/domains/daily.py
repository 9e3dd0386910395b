"""Domains' steps of the daily run (docs/domains.md)."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.domains import services


def advance(day: date, run=None) -> dict[str, int]:
    """Expired domains move on by their TLD's data: active → grace → redemption →
    released, with notices stating the late-renewal cost (R4.2–R4.4)."""
    return services.advance(day)


def sync(day: date, run=None) -> dict[str, int]:
    """Ask the registry about every held domain (expiry, statuses, transfers); the jobs
    run after the step commits."""
    return services.sync_day(day)


def register() -> None:
    registry.register_daily_step("domains.advance", advance)
    registry.register_daily_step("domains.sync", sync)
