from django.core.management.base import CommandError

from kyklos.core.cli import KyklosCommand
from kyklos.seed import demo


class Command(KyklosCommand):
    help = (
        "Load demo data for a Greek provider: about 30 customers in GR, CY, PL and DE, every "
        "product type, and services in every state, made by the real ordering, payment and "
        "daily-run code over the past months. Creates the logins admin, billing and demo "
        "with published passwords, so it runs only with KYKLOS_DEBUG=1. Running it again "
        "adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete EVERY row of the database, then load the demo",
        )

    def handle(self, *args, **opts):
        try:
            demo.check_allowed()
        except demo.DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        if opts["reset"]:
            demo.wipe()
        elif demo.is_loaded():
            self.stdout.write("The demo data is already loaded; nothing was added.")
            self.write_logins()
            return
        elif not demo.is_empty():
            raise CommandError(
                "The database already holds customers, products or users; the demo loads "
                "only into an empty database. Run `kyklos demo --reset` to delete everything "
                "in it and load the demo."
            )
        for line in demo.load().lines():
            self.stdout.write(line)
        self.write_logins()

    def write_logins(self) -> None:
        self.stdout.write("")
        for line in demo.login_lines():
            self.stdout.write(line)
