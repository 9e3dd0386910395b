"""``kyklos mail-in``: receive one message on standard input, for a mail server's pipe.

Exit status (sysexits.h, which Postfix, Exim and Sendmail understand):

- 0  accepted: a ticket message, a quarantined message, or a duplicate;
- 65 EX_DATAERR: nothing on standard input, or a message above the size limit — the mail
  server bounces it, so the sender is told and keeps their copy;
- 75 EX_TEMPFAIL: the database cannot be reached, the pipe is misconfigured (unknown
  department) or anything else went wrong — the mail server keeps the message and
  tries again later, so nothing is lost.
"""

import sys

from django.core.management.base import CommandError

from kyklos.core.cli import KyklosCommand
from kyklos.intake import services
from kyklos.support.models import Department

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(KyklosCommand):
    usage_status = EX_TEMPFAIL  # bad arguments: a misconfigured pipe, the message waits
    help = (
        "Receive one e-mail message (RFC 5322) on standard input and file it as a ticket "
        "message; for a mail server's pipe. Exit 0 accepted, 65 refused, 75 try again later."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--department",
            help="Department code of the tickets this address opens "
            "(default: KYKLOS_INTAKE_DEPARTMENT, technical).",
        )

    def handle(self, *args, **opts):
        limit = services.limits()["MAX_MESSAGE_BYTES"]
        raw = sys.stdin.buffer.read(limit + 1)
        if not raw.strip():
            raise CommandError("mail-in: no message on standard input.", returncode=EX_DATAERR)
        if len(raw) > limit:
            raise CommandError(
                f"mail-in: the message is larger than {limit // (1024 * 1024)} MB; "
                "please send large files another way.",
                returncode=EX_DATAERR,
            )
        department = opts["department"] or services.limits()["DEPARTMENT"]
        try:
            known = Department.objects.filter(code=department, is_active=True).exists()
        except Exception as exc:
            raise CommandError(f"mail-in: try again later: {exc}", returncode=EX_TEMPFAIL) from exc
        if not known:
            # A configuration error: defer the mail rather than bounce it.
            raise CommandError(
                f"mail-in: there is no active department “{department}”; "
                "the message stays with the mail server.",
                returncode=EX_TEMPFAIL,
            )
        try:
            receipt = services.receive(raw, department=department)
        except services.TemporaryFailure as exc:
            raise CommandError(f"mail-in: try again later: {exc}", returncode=EX_TEMPFAIL) from exc
        except Exception as exc:
            raise CommandError(
                f"mail-in: try again later: {type(exc).__name__}: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        self.stdout.write(receipt.describe())
