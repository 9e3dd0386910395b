from pathlib import Path

from django.core.management.base import CommandError

from kyklos.core import backup
from kyklos.core.cli import KyklosCommand, dumps


class Command(KyklosCommand):
    help = (
        "Write the database and the uploaded files into one archive (tar): PostgreSQL through "
        "pg_dump, SQLite through its backup API, consistent while Kyklos runs. The vault's "
        "keys are never in it: keep KYKLOS_VAULT_KEYS apart (docs/deployment.md). "
        "`kyklos restore ARCHIVE` brings it back into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=".",
            help="the archive's file name, or a folder for kyklos-backup-<time>.tar (default: .)",
        )
        parser.add_argument("--json", action="store_true", help="print the manifest as JSON")

    def handle(self, *args, **opts):
        with self.progress("Backup", opts=opts) as progress:
            try:
                path, manifest = backup.backup(Path(opts["output"]), progress=progress.stage)
            except backup.BackupError as error:
                progress.finish()
                raise CommandError(str(error)) from None
        if opts["json"]:
            self.stdout.write(dumps({"archive": str(path), **manifest}))
            return
        counts = manifest["counts"]
        self.stdout.write(
            f"Backup written to {path}: {manifest['engine']} database "
            f"({counts.get('customers_customer', 0)} customers, "
            f"{counts.get('billing_invoice', 0)} documents, "
            f"{counts.get('core_auditevent', 0)} audit events) and "
            f"{manifest['media_files']} uploaded files."
        )
        if manifest["vault_key_ids"]:
            self.stdout.write(
                "The vault's keys are not in it; a restore needs KYKLOS_VAULT_KEYS with "
                f"the keys {', '.join(manifest['vault_key_ids'])}."
            )
