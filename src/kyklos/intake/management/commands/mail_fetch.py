"""``kyklos mail-fetch``: poll the IMAP mailbox in ``KYKLOS_IMAP_URL`` (for cron)."""

import imaplib

from django.conf import settings
from django.core.management.base import CommandError
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from kyklos.core.cli import KyklosCommand, bad_argument, positive_int
from kyklos.intake import fetching, services
from kyklos.intake.models import InboundMessage
from kyklos.support.models import Department

EX_TEMPFAIL = 75


class Command(KyklosCommand):
    help = (
        "Fetch the unseen messages of the IMAP mailbox in KYKLOS_IMAP_URL and file them as "
        "ticket messages. Exit 75 when the server or the database cannot be reached."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, help="At most this many messages.")
        parser.add_argument(
            "--department", help="Department of new tickets (default: KYKLOS_INTAKE_DEPARTMENT)."
        )

    def handle(self, *args, **opts):
        limit = positive_int(opts["limit"], "--limit")
        if not settings.KYKLOS_IMAP_URL:
            raise bad_argument(
                "mail-fetch: set KYKLOS_IMAP_URL, e.g. imaps://user:password@mail.example.com/INBOX."
            )
        try:
            url = fetching.parse_url(settings.KYKLOS_IMAP_URL)
        except fetching.MailboxUrlError as exc:
            raise bad_argument(f"mail-fetch: KYKLOS_IMAP_URL: {exc}") from None
        department = opts["department"] or services.limits()["DEPARTMENT"]
        if not Department.objects.filter(code=department, is_active=True).exists():
            raise bad_argument(f"--department: there is no active department “{department}”.")
        try:
            result = fetching.fetch(
                url,
                limit=limit,
                department=department,
                done_folder=settings.KYKLOS_IMAP_DONE_FOLDER,
            )
        except services.TemporaryFailure as exc:
            raise CommandError(
                f"mail-fetch: try again later: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        except MailboxLoginError:
            raise CommandError(
                f"mail-fetch: the IMAP server refused the login for {url}.", returncode=EX_TEMPFAIL
            ) from None
        except (TimeoutError, OSError, imaplib.IMAP4.error, UnexpectedCommandStatusError) as exc:
            raise CommandError(
                f"mail-fetch: cannot reach {url}: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        if opts["verbosity"] > 1:
            for receipt in result.receipts:
                self.stdout.write(receipt.describe())
        Outcome = InboundMessage.Outcome
        self.stdout.write(
            f"{len(result.receipts)} message(s) read from {url}: "
            f"{result.count(Outcome.NEW_TICKET)} new ticket(s), "
            f"{result.count(Outcome.THREADED)} added to tickets, "
            f"{result.count(Outcome.QUARANTINED)} quarantined, "
            f"{result.duplicates} already received"
            + (
                f"; {len(result.too_large)} too large, left flagged in the mailbox"
                if result.too_large
                else ""
            )
            + "."
        )
