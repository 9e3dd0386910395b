"""Certificates' step of the daily run: renewals from 30 days before expiry (R5.1)."""

from __future__ import annotations

from datetime import date

from kyklos.certificates import services
from kyklos.core.registry import registry


def renew(day: date, run=None) -> dict[str, int]:
    return services.renew_due(day)


def register() -> None:
    registry.register_daily_step("certificates.renew", renew)
