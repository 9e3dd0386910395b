"""Celery tasks of the daily run (see :mod:`kyklos.automation.celery`)."""

from __future__ import annotations

from datetime import date

from django.db import close_old_connections

from kyklos.automation.celery import app
from kyklos.automation.runner import Chunk, run_chunk


@app.task(name="kyklos.daily_chunk")
def daily_chunk(
    day: str, names: list[str], index: int, first: int, end: int, batch_size: int = 0
) -> dict[str, int]:
    """One chunk of a daily run: ``names`` steps for customer ids ``[first, end)``."""
    close_old_connections()
    try:
        counts = run_chunk(
            date.fromisoformat(day), names, Chunk(index, first, end), batch_size=batch_size
        )
        return dict(counts or {})
    finally:
        close_old_connections()
