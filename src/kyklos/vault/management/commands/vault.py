from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count

from kyklos.core.cli import KyklosCommand, bad_argument, positive_int
from kyklos.vault import crypto, services
from kyklos.vault.models import Credential


class Command(KyklosCommand):
    help = "The credential vault: new-key, status, rotate-key (re-encrypt under the first key)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("new-key", help="Print a fresh key line for KYKLOS_VAULT_KEYS.")
        actions.add_parser("status", help="How many credentials each key seals.")
        rotate = actions.add_parser(
            "rotate-key", help="Re-encrypt credentials sealed with older keys, in small batches."
        )
        rotate.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **opts):
        try:
            {"new-key": self.new_key, "status": self.status, "rotate-key": self.rotate}[
                opts["action"]
            ](opts)
        except ImproperlyConfigured as error:
            raise bad_argument(str(error)) from None

    def new_key(self, opts):
        self.stdout.write(f"k{crypto.new_key()[:6].lower()}:{crypto.new_key()}")

    def status(self, opts):
        ring = crypto.key_ring()
        counts = dict(
            Credential.objects.filter(status=Credential.Status.ACTIVE)
            .values_list("key_id")
            .annotate(n=Count("pk"))
        )
        self.stdout.write(f"current key: {ring.current}")
        for key_id, n in sorted(counts.items()):
            known = "configured" if key_id in ring.keys else "MISSING from KYKLOS_VAULT_KEYS"
            self.stdout.write(f"{key_id:<12} {n:>8} credentials  {known}")

    def rotate(self, opts):
        size = positive_int(opts["batch_size"], "--batch-size")
        result = services.rotate(batch_size=size)
        self.stdout.write(
            f"Re-encrypted {result.re_encrypted} credentials under key "
            f"{crypto.key_ring().current}; {result.remaining} remain under older keys."
        )
        if result.remaining == 0:
            self.stdout.write("Older keys can now be removed from KYKLOS_VAULT_KEYS.")
