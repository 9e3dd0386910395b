from django.core.management.base import CommandError

from kyklos.core import audit_chain
from kyklos.core.cli import KyklosCommand, positive_int


class Command(KyklosCommand):
    help = (
        "The audit trail's hash chain: `seal` gives new events their place in the chain "
        "(run it every few minutes and it runs in the daily run); `verify` recomputes the "
        "chain and exits 1 when an event was edited or deleted."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        seal = actions.add_parser("seal", help="Seal the events logged since the last seal.")
        seal.add_argument("--batch-size", type=int, default=None)
        actions.add_parser("verify", help="Check the whole chain; exit 1 on any problem.")

    def handle(self, *args, **opts):
        if opts["action"] == "seal":
            size = positive_int(opts["batch_size"], "--batch-size")
            result = audit_chain.seal(batch_size=size)
            self.stdout.write(
                f"Sealed {result.sealed} audit events; the chain holds {result.head_seq}, "
                f"head {result.head_hash}."
            )
            return
        result = audit_chain.verify()
        for problem in result.problems:
            self.stderr.write(f"TAMPERED: {problem}")
        self.stdout.write(
            f"Checked {result.checked} sealed audit events; {result.unsealed} not sealed yet; "
            f"head {result.head_seq} {result.head_hash}."
        )
        if not result.ok:
            raise CommandError(
                f"The audit trail was tampered with: {len(result.problems)} problem(s).",
                returncode=1,
            )
        self.stdout.write("The audit trail is intact.")
