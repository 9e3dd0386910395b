"""The projects app's part of the daily run."""

from kyklos.core.registry import registry
from kyklos.projects import services


def register() -> None:
    registry.register_daily_step("projects.expire_quotes", services.expire_quotes)
    registry.register_daily_step("projects.bill_package_overage", services.bill_package_overage)
