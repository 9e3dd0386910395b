"""The receivables app's part of the daily run (after the lifecycle's suspensions and
terminations: see ``settings.KYKLOS_DAILY_STEPS``)."""

from kyklos.core.registry import registry
from kyklos.receivables import services


def register() -> None:
    registry.register_daily_step("receivables.run_collections", services.run_collections)
    registry.register_daily_step("receivables.month_end_interest", services.month_end_interest)
