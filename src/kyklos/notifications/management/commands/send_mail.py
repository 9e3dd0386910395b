"""``kyklos send-mail [--limit N]``: send the queued notices whose day has come."""

from argparse import ArgumentTypeError

from kyklos.core.cli import KyklosCommand
from kyklos.notifications import selectors, services


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ArgumentTypeError(f"must be a positive whole number, not {value!r}.")
    return number


class Command(KyklosCommand):
    help = "Send queued notices (e-mail outbox) whose day has come, oldest first."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--limit", type=_positive, default=None, help="Send at most N messages."
        )

    def handle(self, *args, limit: int | None = None, **options) -> None:
        result = services.send_pending(limit=limit)
        self.stdout.write(
            f"Sent {result.sent}, failed {result.failed}, left {selectors.queued_count()} queued."
        )
