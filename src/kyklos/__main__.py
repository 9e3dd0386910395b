"""The ``kyklos`` command: ``manage.py`` for every Django command, plus Kyklos' own.

Commands may be spelt with dashes: ``kyklos send-mail`` runs ``send_mail``.

A command listed in :data:`EARLY` has its arguments checked before Django starts: a bad
date in a cron line ends in the command's own one line and exit status 2 without loading
Kyklos (decision 0041). Anything the early check does not understand (help, an unknown
option, a value argparse refuses) is left to the command, which checks everything again.
"""

import argparse
import os
import sys
from importlib import import_module

#: Commands whose arguments can be refused without Django: the module that gives their
#: ``add_arguments(parser)`` and ``check(options)`` (raising ``kyklos.core.arguments.Refused``).
EARLY = {"automate": "kyklos.automation.arguments"}


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    refusal = refused_early(args)
    if refusal is not None:
        print(_error_style(f"CommandError: {refusal}", args), file=sys.stderr)
        sys.exit(refusal.status)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyklos.config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the settings: a bad value stops here
    except ImproperlyConfigured as error:
        # Bad configuration: one line that names the variable, exit status 2 (EX_USAGE-like).
        print(f"kyklos: {error}", file=sys.stderr)
        sys.exit(2)

    execute_from_command_line(["kyklos", *_dashes_to_underscores(args)])


class _NotForUs(Exception):
    """The early parser does not understand the arguments: the command will say."""


class _EarlyParser(argparse.ArgumentParser):
    def error(self, message):
        raise _NotForUs(message)


def refused_early(args: list[str]):
    """The refusal (``kyklos.core.arguments.Refused``) of a command in :data:`EARLY` whose
    arguments are wrong in a way its own check finds, or None (run the command)."""
    if not args or args[0].replace("-", "_") not in EARLY:
        return None
    if {"-h", "--help", "--traceback", "--version"} & set(args[1:]):
        return None
    module = import_module(EARLY[args[0].replace("-", "_")])
    from kyklos.core.arguments import Refused

    parser = _EarlyParser(prog=f"kyklos {args[0]}", add_help=False)
    # The options every Django command has (they change nothing the check looks at).
    parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3])
    parser.add_argument("--settings")
    parser.add_argument("--pythonpath")
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("--force-color", action="store_true")
    parser.add_argument("--skip-checks", action="store_true")
    module.add_arguments(parser)
    try:
        options, rest = parser.parse_known_args(args[1:])
    except _NotForUs:
        return None
    if rest or getattr(options, "plan", False):
        return None
    try:
        module.check(vars(options))
    except Refused as refusal:
        return refusal
    return None


def _error_style(line: str, args: list[str]) -> str:
    """``line`` as Django writes a command's error: in its ERROR colours on a terminal."""
    force = "--force-color" in args
    if "--no-color" in args or not (force or sys.stderr.isatty()):
        return line
    from django.utils import termcolors

    # as django.core.management.color.make_style: DJANGO_COLORS, "nocolor" for none
    palette = termcolors.parse_color_setting(os.environ.get("DJANGO_COLORS", ""))
    style = palette.get("ERROR", {}) if palette else {}
    return termcolors.colorize(line, **style) if style else line


def _dashes_to_underscores(args: list[str]) -> list[str]:
    """``send-mail …`` → ``send_mail …`` when ``send_mail`` is a command."""
    if not args or args[0].startswith("-") or "-" not in args[0]:
        return args
    import django
    from django.core.management import get_commands

    django.setup()
    name = args[0].replace("-", "_")
    return [name, *args[1:]] if name in get_commands() else args


if __name__ == "__main__":
    main()
