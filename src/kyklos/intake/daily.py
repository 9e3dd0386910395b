"""Intake's part of the daily run: quarantined messages are deleted after their period."""

from kyklos.core.registry import registry
from kyklos.intake import services


def register() -> None:
    registry.register_daily_step("intake.purge_quarantine", services.purge_quarantine)
