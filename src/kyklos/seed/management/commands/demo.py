import logging
from contextlib import contextmanager

from django.core.management.base import CommandError

from kyklos.core.cli import KyklosCommand
from kyklos.seed import demo


@contextmanager
def _quiet(verbosity: int):
    """While the demo is played, the daily run's routine log lines (sealing the audit trail
    after each day, …) are noise, and so are the warnings of the jobs that wait for outside
    systems the demo has none of (PowerDNS, a registry, hosting servers): their zones and
    jobs stay queued, visible to staff. Only errors show, unless --verbosity 2 or more."""
    logger = logging.getLogger("kyklos")
    level = logger.level
    if verbosity < 2:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class Command(KyklosCommand):
    help = (
        "Load demo data for a Greek provider: about 30 customers in GR, CY, PL and DE, every "
        "product type, services in every state, tickets, quotes and projects, made by the real "
        "ordering, payment and daily-run code over the past months. Creates the staff and "
        "customer logins with published passwords, so it runs only with KYKLOS_DEBUG=1. "
        "Running it again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete EVERY row of the database, then load the demo",
        )
        parser.add_argument(
            "--no-logins", action="store_true", help="do not print the logins at the end"
        )
        parser.add_argument(
            "--logins", action="store_true", help="only print the demo logins; load nothing"
        )
        parser.add_argument(
            "--code",
            action="store_true",
            help="only print the demo staff's current second-factor (TOTP) code",
        )

    def handle(self, *args, **opts):
        try:
            demo.check_allowed()
        except demo.DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        if opts["code"]:
            code, seconds = demo.staff_code()
            self.stdout.write(f"{code}  (valid for {seconds} more seconds)")
            return
        if opts["logins"]:
            self.write_logins()
            return
        if opts["reset"]:
            demo.wipe()
        elif demo.is_loaded():
            self.stdout.write("The demo data is already loaded; nothing was added.")
            self.write_logins(opts)
            return
        elif not demo.is_empty():
            raise CommandError(
                "The database already holds customers, products or users; the demo loads "
                "only into an empty database. Run `kyklos demo --reset` to delete everything "
                "in it and load the demo."
            )
        with _quiet(opts["verbosity"]):
            summary = demo.load()
        for line in summary.lines():
            self.stdout.write(line)
        self.write_logins(opts)

    def write_logins(self, opts=None) -> None:
        if opts and opts["no_logins"]:
            return
        self.stdout.write("")
        for line in demo.login_lines():
            self.stdout.write(line)
