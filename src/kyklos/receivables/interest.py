"""Late interest, computed per day (R6.7).

Day-count convention: **Actual/365 (fixed)**. Every calendar day that an amount is
outstanding past the interest-free period earns ``balance × rate ÷ 365`` — also in leap
years, where 366 days earn 366/365 of a year's rate. The daily amounts are summed
exactly and the sum is rounded once, with :func:`kyklos.core.money.round_money`.

Which days count: the interest-free period ends ``interest_free_days`` after the due
date; interest runs from the next day up to and including the day of payment (or the
day it is calculated for). The balance of a day is the document's total less the
payments made and credit notes issued before that day, so a part payment lowers the
balance from the next day.

Example: €10,000 due on 1 January 2027, 30 interest-free days (to 31 January), charged
through 17 March 2027: 45 days × 10,000 × 20% ÷ 365 = 246.5753… → €246.58.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

DAY_COUNT = 365


@dataclass(frozen=True)
class Segment:
    first_day: date
    last_day: date
    balance: Decimal

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def as_dict(self) -> dict:
        return {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
            "days": self.days,
            "balance": str(self.balance),
        }


def interest_start(due_on: date, interest_free_days: int) -> date:
    """The first day that earns interest."""
    return due_on + timedelta(days=interest_free_days + 1)


def segments(
    *, total: Decimal, payments: Iterable[tuple[date, Decimal]], first_day: date, last_day: date
) -> list[Segment]:
    """The stretches of days in ``first_day..last_day`` with the balance of each; days
    with nothing outstanding are left out."""
    if last_day < first_day:
        return []
    paid = sorted(payments)
    balance = total - sum((amount for day, amount in paid if day < first_day), Decimal(0))
    changes = sorted({day + timedelta(days=1) for day, _a in paid if first_day <= day < last_day})
    found: list[Segment] = []
    start = first_day
    for change in [*changes, last_day + timedelta(days=1)]:
        if balance > 0 and change > start:
            found.append(Segment(start, change - timedelta(days=1), balance))
        balance -= sum((a for day, a in paid if day + timedelta(days=1) == change), Decimal(0))
        start = change
    return found


def amount(found: Iterable[Segment], rate_percent: Decimal) -> Decimal:
    """The exact (unrounded) interest of ``found`` at ``rate_percent`` a year."""
    return sum(
        (s.balance * Decimal(rate_percent) / 100 * s.days / DAY_COUNT for s in found), Decimal(0)
    )
