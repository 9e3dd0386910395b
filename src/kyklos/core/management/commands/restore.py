from pathlib import Path

from django.core.management.base import CommandError

from kyklos.core import backup
from kyklos.core.cli import KyklosCommand, dumps


class Command(KyklosCommand):
    help = (
        "Restore an archive of `kyklos backup` into an EMPTY database (a new one, migrated or "
        "not) and MEDIA_ROOT, then verify the audit trail's hash chain. Refuses a database "
        "that holds data; exits 1 when the restored audit trail does not verify."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the .tar file written by kyklos backup")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **opts):
        with self.progress("Restore", opts=opts) as progress:
            try:
                result = backup.restore(Path(opts["archive"]), progress=progress.stage)
            except backup.BackupError as error:
                progress.finish()
                raise CommandError(str(error)) from None
        if opts["json"]:
            self.stdout.write(
                dumps(
                    {
                        "made_at": result.manifest["created_at"],
                        "counts": result.counts,
                        "files": result.files,
                        "audit_chain_ok": result.chain_ok,
                        "missing_vault_keys": result.missing_keys,
                    }
                )
            )
        else:
            counts = result.counts
            self.stdout.write(
                f"Restored the backup of {result.manifest['created_at']}: "
                f"{counts.get('customers_customer', 0)} customers, "
                f"{counts.get('billing_invoice', 0)} documents, {result.files} uploaded files; "
                f"audit trail: {result.chain_checked} sealed events "
                f"{'verified' if result.chain_ok else 'DO NOT VERIFY'}."
            )
            if result.missing_keys:
                self.stderr.write(
                    "Warning: the vault's credentials stay sealed until KYKLOS_VAULT_KEYS holds "
                    f"the keys {', '.join(result.missing_keys)}."
                )
        if not result.chain_ok:
            raise CommandError(
                "The restored audit trail does not verify; run `kyklos audit verify` for "
                "the details.",
                returncode=1,
            )
