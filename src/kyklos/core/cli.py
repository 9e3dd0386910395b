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
import functools
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kyklos.core import arguments
from kyklos.core.arguments import EARLIEST, LATEST, MOST_DAYS  # noqa: F401 - the commands' bounds


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


def _as_command_error(check):
    """``check`` (:mod:`kyklos.core.arguments`) raising :class:`CommandError`, status 2."""

    @functools.wraps(check)
    def checked(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except arguments.Refused as refusal:
            raise bad_argument(str(refusal), status=refusal.status) from None

    return checked


parse_date = _as_command_error(arguments.parse_date)
bounded_date = _as_command_error(arguments.bounded_date)
bounded_int = _as_command_error(arguments.bounded_int)
positive_int = _as_command_error(arguments.positive_int)
batch_size = _as_command_error(arguments.batch_size)
days_after = _as_command_error(arguments.days_after)


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
