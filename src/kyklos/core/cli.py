"""Helpers for Kyklos' management commands: one-line errors with exit status 2.

Every Kyklos command derives from :class:`KyklosCommand`. Whatever is wrong with its arguments —
an option argparse cannot read, a date no calendar holds, a count out of bounds — ends in
ONE line on standard error and exit status 2 (the command's ``usage_status``), never a
traceback and never before anything is written::

    kyklos automate --date 9999-12-31
    CommandError: --date: 9999-12-31 is after 2999-12-31, the last day Kyklos accepts.

The same errors reach a caller of ``call_command`` as :class:`CommandError` with
``returncode`` 2.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

#: The days any command accepts: far enough for history and forecasts, and near enough
#: that adding ten years or taking a century away still gives a date (year 1–9999).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
#: Ten years: the longest simulation or forecast a command accepts.
MOST_DAYS = 3660


def bad_argument(message: str, *, status: int = 2) -> CommandError:
    return CommandError(message, returncode=status)


class OneLineParser(CommandParser):
    """Argument errors as one line and the command's usage status, from the command line
    (``prog: error: …`` without the usage text) and from ``call_command`` alike."""

    status = 2

    def error(self, message):
        text = " ".join(message.split())
        if self.called_from_command_line:
            self.exit(self.status, f"{self.prog}: error: {text}\n")
        raise bad_argument(f"Error: {text}", status=self.status)


def _one_line(parser: argparse.ArgumentParser, status: int) -> None:
    parser.__class__ = OneLineParser
    parser.status = status
    for action in parser._actions:  # noqa: SLF001 - argparse keeps sub-commands only here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub in action.choices.values():
                _one_line(sub, status)


class KyklosCommand(BaseCommand):
    """The base of Kyklos' commands: argument errors are one line and ``usage_status``.

    They run no system checks: they are started by cron, the mail server and operators,
    many times a day, and the checks (the URL configuration, every notice template)
    cost more than most of them do. ``kyklos check`` runs the checks (at deployment,
    with ``migrate``, which runs them too)."""

    usage_status = 2
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _one_line(parser, self.usage_status)
        return parser

    def progress(self, label: str, total: int | None = None, *, opts: dict | None = None):
        """A progress line on standard error for long work (:mod:`kyklos.core.progress`):
        only on a terminal, never with ``--json`` or ``--verbosity 0``."""
        from kyklos.core.progress import Progress, wanted

        opts = opts or {}
        stream = getattr(self.stderr, "_out", self.stderr)
        quiet = bool(opts.get("json")) or opts.get("verbosity", 1) == 0
        return Progress(label, total, stream=stream, enabled=wanted(stream, quiet=quiet))


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise bad_argument(f"{option}: “{value}” is not a date; use YYYY-MM-DD.") from None
    return bounded_date(day, option)


def bounded_date(
    day: date | None, option: str, *, earliest: date = EARLIEST, latest: date = LATEST
) -> date | None:
    """``day`` unless it lies outside ``[earliest, latest]`` (by default the days any
    Kyklos command accepts)."""
    if day is None:
        return None
    if day < earliest:
        raise bad_argument(f"{option}: {day} is before {earliest}, the first day accepted.")
    if day > latest:
        raise bad_argument(f"{option}: {day} is after {latest}, the last day accepted.")
    return day


def bounded_int(
    value: int | None, option: str, *, least: int = 1, most: int | None = None
) -> int | None:
    """``value`` unless it lies outside ``[least, most]``; None stays None."""
    if value is None:
        return None
    if value < least:
        if least == 1:
            raise bad_argument(f"{option} must be a positive whole number.")
        raise bad_argument(f"{option} must be at least {least}.")
    if most is not None and value > most:
        raise bad_argument(f"{option}: at most {most}.")
    return value


def positive_int(value: int | None, option: str) -> int | None:
    return bounded_int(value, option)


def batch_size(value: int | None, option: str = "--batch-size") -> int:
    """A batch size option: 0 (or none) for the default, else a positive number."""
    if not value:
        return 0
    if value < 0:
        raise bad_argument(f"{option} must be 0 (the default) or a positive whole number.")
    return bounded_int(value, option, most=10_000_000)


def days_after(start: date, days: int, option: str) -> date:
    """The last day of ``days`` days from ``start``, refused beyond :data:`LATEST`."""
    try:
        last = start + timedelta(days=days - 1)
    except OverflowError:
        last = date.max
    if last > LATEST:
        raise bad_argument(f"{option}: the range would end after {LATEST}, the last day accepted.")
    return last


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def future_day(day: date, *, allowed: bool, command: str, option: str, stderr=None) -> None:
    """Refuse ``day`` when it is after today (the command would act as if it had come)
    unless ``--allow-future`` was given; an allowed one is said on ``stderr`` and left in the
    audit trail as ``<command>.future_date_allowed`` (dated now), before anything is done."""
    from kyklos.core import clock
    from kyklos.core.audit import SYSTEM, log_action_rows

    today = clock.today()
    if day <= today:
        return
    if not allowed:
        raise bad_argument(
            f"{option}: {day} is after today ({today}); add --allow-future to act as if that "
            "day had come (the override is recorded in the audit trail)."
        )
    if stderr is not None:
        stderr.write(f"Warning: {option} {day} is after today ({today}); acting as asked.")
    log_action_rows(
        [("core.command", command, None, {"day": day.isoformat(), "today": today.isoformat()})],
        f"{command}.future_date_allowed",
        actor=SYSTEM,
    )
