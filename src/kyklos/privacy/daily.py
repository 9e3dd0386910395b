"""The privacy app's part of the daily run."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.privacy import breaches, requests, retention


def retention_step(day: date, ctx) -> dict[str, int]:
    """The retention engine: personal data past its category's period is deleted or anonymised."""
    report = retention.run(day, batch_size=getattr(ctx, "batch_size", None))
    counts: dict[str, int] = {}
    for line in report.report_lines:
        key = f"retention_{line.category}_{line.action}"
        counts[key] = counts.get(key, 0) + line.count
    return counts


def request_step(day: date, ctx) -> dict[str, int]:
    """Requests: unconfirmed ones expire, old archives go, deadlines are warned of."""
    return {
        **requests.expire_unverified(day),
        **requests.drop_old_archives(day),
        **requests.warn_deadlines(day),
    }


def breach_step(day: date, ctx) -> dict[str, int]:
    """Breaches: warnings while the 72 hours to notify the authority run out."""
    return breaches.warn_deadlines(day)


def register() -> None:
    registry.register_daily_step("privacy.requests", request_step)
    registry.register_daily_step("privacy.breaches", breach_step)
    registry.register_daily_step("privacy.retention", retention_step)
