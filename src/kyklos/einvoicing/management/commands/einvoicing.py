from kyklos.core.cli import KyklosCommand, positive_int
from kyklos.einvoicing import selectors, services


class Command(KyklosCommand):
    help = "National e-invoicing: send (the sweep of everything due), status (what is unreported)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        send = actions.add_parser(
            "send", help="Create missing transmissions, then send every one that is due."
        )
        send.add_argument("--limit", type=int, default=0, help="Stop after this many (0: all).")
        actions.add_parser("status", help="How many documents are still unreported, per channel.")

    def handle(self, *args, **opts):
        {"send": self.send, "status": self.status}[opts["action"]](opts)

    def send(self, opts):
        limit = positive_int(opts["limit"], "--limit") if opts["limit"] else None
        made = services.catch_up()
        counts = services.send_due(limit=limit)
        done = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due"
        self.stdout.write(f"{made} transmissions created; sent: {done}.")
        self.status(opts)

    def status(self, opts):
        from kyklos.core import clock

        summary = selectors.unreported_summary(clock.today())
        self.stdout.write(
            f"{summary.total} unreported ({summary.failed} failed)"
            + (f", oldest issued {summary.oldest}" if summary.oldest else "")
            + "".join(f"\n  {k:<10} {v:>8}" for k, v in sorted(summary.by_channel.items()))
        )
