"""``kyklos mail-in``: receive one message on standard input, for a mail server's pipe.

Exit status (sysexits.h, which Postfix, Exim and Sendmail understand):

- 0  accepted: a ticket message, a quarantined message, or a duplicate;
- 65 EX_DATAERR: nothing on standard input, or a message above the size limit — the mail
  server bounces it, so the sender is told and keeps their copy;
- 75 EX_TEMPFAIL: the database cannot be reached, the pipe is misconfigured (unknown
  department) or anything else went wrong — the mail server keeps the message and
  tries again later, so nothing is lost.

The message is spooled to a temporary file as it arrives (reading stops as soon as it
passes the size limit) and processed from there, so memory stays small however large it is.
"""

import sys
import tempfile

from django.core.management.base import CommandError

from kyklos.core.cli import KyklosCommand
from kyklos.intake import services
from kyklos.intake.parsing import CHUNK_BYTES
from kyklos.support.models import Department

EX_DATAERR = 65
EX_TEMPFAIL = 75
#: A message up to this size stays in memory; a larger one goes to a temporary file.
SPOOL_IN_MEMORY = 1024 * 1024


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
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as raw:
            self._spool(sys.stdin.buffer, raw)
            self._receive(raw, opts)

    def _spool(self, source, raw) -> None:
        """Copy the message to ``raw``; refuse it, unread, once it passes the limit."""
        limit = services.limits()["MAX_MESSAGE_BYTES"]
        size, blank = 0, True
        while chunk := source.read(min(CHUNK_BYTES, limit + 1 - size)):
            size += len(chunk)
            blank = blank and not chunk.strip()
            if size > limit:
                raise CommandError(
                    f"mail-in: the message is larger than {limit // (1024 * 1024)} MB; "
                    "please send large files another way.",
                    returncode=EX_DATAERR,
                )
            raw.write(chunk)
        if blank:
            raise CommandError("mail-in: no message on standard input.", returncode=EX_DATAERR)
        raw.seek(0)

    def _receive(self, raw, opts) -> None:
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
