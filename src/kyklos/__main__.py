"""The ``kyklos`` command: ``manage.py`` for every Django command, plus Kyklos' own.

Commands may be spelt with dashes: ``kyklos send-mail`` runs ``send_mail``.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
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

    args = argv if argv is not None else sys.argv[1:]
    execute_from_command_line(["kyklos", *_dashes_to_underscores(args)])


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
