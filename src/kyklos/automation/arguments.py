"""The arguments of ``kyklos automate`` and the checks that need only them.

The command adds them to its parser and runs :func:`check` first; the ``kyklos`` console
runs the same two before Django starts (``kyklos.__main__.EARLY``), so a bad date in a cron
line is refused with the same line and status without loading Kyklos (decision 0041).
Nothing here may import Django or Kyklos beyond :mod:`kyklos.core.arguments`.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from kyklos.core.arguments import Refused, batch_size, parse_date


def add_arguments(parser) -> None:
    parser.add_argument("--date", help="YYYY-MM-DD; default: today in the provider's time zone")
    parser.add_argument("--from", dest="first", help="first day of a range (with --to)")
    parser.add_argument("--to", dest="last", help="last day of a range (with --from)")
    parser.add_argument(
        "--batch-size", type=int, default=0, help="rows per batch; 0: KYKLOS_BATCH_SIZE"
    )
    parser.add_argument(
        "--allow-future",
        action="store_true",
        help="run days ahead of today (logged: a warning and an audit event)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="run a range longer than KYKLOS_CONFIRM_RANGE_DAYS without asking",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print the steps in the order they run (chunkable or not) and run nothing",
    )


class Days(NamedTuple):
    """The days asked for (``first`` None: today) and the batch size (0: the default)."""

    first: date | None
    last: date | None
    batch_size: int


def check(opts: dict) -> Days:
    """The options as days, or :class:`Refused` (one line, status 2). What needs the
    clock or the settings (today, the catch-up window) is checked by the command."""
    size = batch_size(opts["batch_size"])
    day = parse_date(opts["date"], "--date")
    first, last = parse_date(opts["first"], "--from"), parse_date(opts["last"], "--to")
    if day and (first or last):
        raise Refused("give either --date or --from/--to, not both")
    if bool(first) != bool(last):
        raise Refused("--from and --to go together")
    if first and last < first:
        raise Refused("--to is before --from")
    return Days(first or day, last or first or day, size)
