"""The simulated year, day by day: ``python -m bench.probe year`` runs it through
:func:`measure`, which adds to the totals the cost curve through the year — for every
stretch of days the wall time, the CPU time of this process and of its PostgreSQL
backend, and the actions — so that a cost per day that grows through the year shows."""

from __future__ import annotations

import os
import resource
import time
from datetime import date
from pathlib import Path

#: Days per point of the curve.
STRETCH = 30


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Backend:
    """CPU seconds of the PostgreSQL process serving this connection (same machine:
    /proc), or nothing on SQLite or elsewhere."""

    def __init__(self):
        from django.db import connection

        self.path = None
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.path = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        self.tick = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float | None:
        try:
            fields = self.path.read_text().rsplit(")", 1)[1].split() if self.path else None
        except OSError:
            return None
        return None if fields is None else (int(fields[11]) + int(fields[12])) / self.tick


def measure(day: date, days: int, batch_size: int = 0) -> dict:
    """Simulate ``days`` days from ``day``; the totals and the curve (see the module)."""
    from kyklos.automation.services import simulate

    backend = _Backend()
    points: list[dict] = []
    start = last = (time.perf_counter(), _cpu(), backend.cpu())
    ran = [0.0]

    def on_day(result) -> None:
        nonlocal last
        now = (time.perf_counter(), _cpu(), backend.cpu())
        if not points or points[-1]["days"] == STRETCH:
            points.append(
                {"from": result.day.isoformat(), "days": 0, "actions": 0, "wall": 0.0, "cpu": 0.0}
            )
            points[-1]["pg_cpu"] = 0.0 if now[2] is not None else None
        point = points[-1]
        if not ran[0]:  # before the first day: the copy of the database, if any
            point["setup"] = round(now[0] - last[0] - result.seconds, 3)
        ran[0] += result.seconds
        point["days"] += 1
        point["actions"] += result.total
        point["wall"] += now[0] - last[0]
        point["cpu"] += now[1] - last[1]
        if now[2] is not None and last[2] is not None:
            point["pg_cpu"] += now[2] - last[2]
        last = now

    results = simulate(day, days, batch_size=batch_size, on_day=on_day)
    end = (time.perf_counter(), _cpu(), backend.cpu())
    for point in points:
        for key in ("wall", "cpu", "pg_cpu"):
            if point.get(key) is not None:
                point[key] = round(point[key], 2)
        point["wall_per_day"] = round(point["wall"] / point["days"], 3)
    return {
        "days": len(results),
        "total": sum(r.total for r in results),
        "setup_seconds": points[0].get("setup") if points else None,
        "pg_cpu_seconds": (
            round(end[2] - start[2], 2) if start[2] is not None and end[2] is not None else None
        ),
        "curve": points,
    }


def print_curve(result: dict) -> None:
    """The curve as a table, for ``python -m bench year``."""
    line = f"  before the first day (the scratch copy): {result.get('setup_seconds')} s"
    if result.get("pg_cpu_seconds") is not None:
        line += f"; PostgreSQL backend CPU {result['pg_cpu_seconds']} s"
    print(line)
    print("  from        days  actions   wall (s)  per day   CPU (s)  PG CPU (s)")
    for p in result.get("curve", []):
        print(
            f"  {p['from']}  {p['days']:>4}  {p['actions']:>7}  {p['wall']:>9.1f}  "
            f"{p['wall_per_day']:>7.2f}  {p['cpu']:>8.1f}  {p.get('pg_cpu') or 0:>10.1f}"
        )
