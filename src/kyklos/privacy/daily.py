"""The privacy app's part of the daily run."""

from __future__ import annotations

from datetime import date

from kyklos.core.registry import registry
from kyklos.privacy import breaches, requests, retention


def retention_step(day: date, ctx) -> dict[str, int]:
    report = retention.run(day, batch_size=getattr(ctx, "batch_size", None))
    counts: dict[str, int] = {}
    for line in report.report_lines:
        key = f"retention_{line.category}_{line.action}"
        counts[key] = counts.get(key, 0) + line.count
    return counts


def request_step(day: date, ctx) -> dict[str, int]:
    return {
        **requests.expire_unverified(day),
        **requests.drop_old_archives(day),
        **requests.warn_deadlines(day),
    }


def breach_step(day: date, ctx) -> dict[str, int]:
    return breaches.warn_deadlines(day)


def register() -> None:
    registry.register_daily_step("privacy_requests", 910, request_step)
    registry.register_daily_step("privacy_breaches", 920, breach_step)
    registry.register_daily_step("privacy_retention", 990, retention_step)
