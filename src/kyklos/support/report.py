"""The monthly SLA report: per priority and department, the tickets opened in the month,
the share that met the resolution target, and the median first-response and resolution
times (wall-clock hours). CSV export neutralises spreadsheet formulas.

Tickets whose SLA was voided (R8.6) are left out. "Met" counts tickets resolved by their
resolution due time. A ticket still open past its
due time counts as missed; one still open before its due time is not yet decided and left
out of the percentage.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from django.db.models import F

from kyklos.core import clock
from kyklos.support.models import Priority, Ticket

PRIORITY_ORDER = {value: n for n, value in enumerate(Priority.values)}


@dataclass
class Row:
    priority: str
    department: str
    tickets: int
    decided: int
    met: int
    median_first_response_hours: float | None
    median_resolution_hours: float | None

    @property
    def percent_met(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return clock.start_of_day(first), clock.start_of_day(following)


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _median(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def monthly(year: int, month: int, *, now: datetime | None = None) -> list[Row]:
    """One row per priority and department with tickets opened in the month, then one
    row per priority over all departments (department ``*``). One query."""
    now = now or clock.now()
    start, end = month_bounds(year, month)
    rows = Ticket.objects.filter(
        opened_at__gte=start, opened_at__lt=end, sla_void_reason=""
    ).values_list(
        "priority",
        F("department__name"),
        "opened_at",
        "first_responded_at",
        "resolved_at",
        "resolution_due",
    )
    groups: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for priority, department, *times in rows:
        groups[(priority, department)].append(times)
        groups[(priority, "*")].append(times)
    result = []
    for (priority, department), items in groups.items():
        met = sum(1 for _o, _f, resolved, due in items if resolved is not None and resolved <= due)
        missed = sum(
            1
            for _o, _f, resolved, due in items
            if (resolved is not None and resolved > due) or (resolved is None and due < now)
        )
        result.append(
            Row(
                priority=priority,
                department=department,
                tickets=len(items),
                decided=met + missed,
                met=met,
                median_first_response_hours=_median(
                    [h for o, f, _r, _d in items if (h := _hours(o, f)) is not None]
                ),
                median_resolution_hours=_median(
                    [h for o, _f, r, _d in items if (h := _hours(o, r)) is not None]
                ),
            )
        )
    result.sort(
        key=lambda r: (PRIORITY_ORDER.get(r.priority, 99), r.department == "*", r.department)
    )
    return result


HEADER = (
    "priority",
    "department",
    "tickets",
    "decided",
    "met",
    "percent_met",
    "median_first_response_hours",
    "median_resolution_hours",
)
#: A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: formula starts are prefixed with ``'``."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            safe_cell(v)
            for v in (
                r.priority,
                r.department,
                r.tickets,
                r.decided,
                r.met,
                r.percent_met,
                r.median_first_response_hours,
                r.median_resolution_hours,
            )
        )
    return out.getvalue()
