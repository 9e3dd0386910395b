"""`kyklos backup` and `kyklos restore`: the database and the uploaded files in one archive.

An archive is a tar file holding

- ``manifest.json`` — the format, when and from what it was made (database engine, the last
  migration of every app, row counts of the main tables, the ids of the vault keys in use);
- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite,
  a consistent copy made with SQLite's backup API);
- ``media/`` — the uploaded files (``MEDIA_ROOT``): transfer proofs, ticket attachments,
  change-request documents, deliverables.

The vault's keys (``KYKLOS_VAULT_KEYS``) are never in the archive: whoever holds the archive
and the keys holds every stored credential. The manifest names the key ids the backup needs;
:func:`restore` says which of them the new installation lacks. Keep the keys apart from the
backups (a password manager or the host's secret store), docs/deployment.md.

A restore goes into an **empty** database only (a new one, migrated or not): restoring over
live data would mix two histories. It restores everything in one transaction (PostgreSQL:
``pg_restore --single-transaction``), extracts the files, then checks the audit trail's hash
chain end to end.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder

from kyklos.core import audit_chain, clock

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
#: Tables counted in the manifest and after a restore, so both sides can be compared.
COUNTED = ("auth_user", "customers_customer", "billing_invoice", "core_auditevent")


class BackupError(Exception):
    """The backup or restore could not be done; the message says why in one line."""


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int]
    files: int
    chain_ok: bool
    chain_checked: int
    missing_keys: list[str] = field(default_factory=list)


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"kyklos backup supports PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore from Django's settings (the password in
    the environment, never on the command line)."""
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client (apt-get install "
            "postgresql-client) of the server's version or newer."
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 (our own argument list, no shell)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {detail}")


def counts() -> dict[str, int]:
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        found = {}
        for table in COUNTED:
            if table in tables:
                quoted = connection.ops.quote_name(table)  # a name from COUNTED
                cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608
                found[table] = cursor.fetchone()[0]
        return found


def _migrations() -> dict[str, str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    last: dict[str, str] = {}
    for app, name in recorder.migration_qs.order_by("app", "name").values_list("app", "name"):
        last[app] = name
    return last


def _vault_key_ids() -> list[str]:
    value = getattr(settings, "KYKLOS_VAULT_KEYS", "") or ""
    return [part.split(":", 1)[0].strip() for part in value.split(",") if ":" in part]


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def backup(output: Path, *, progress: Callable[[str], None] | None = None) -> tuple[Path, dict]:
    """Write the archive to ``output`` (a file, or a directory to put a dated file in);
    returns its path and manifest. A half-written archive never stays behind."""
    say = progress or (lambda _text: None)
    engine = _engine()
    if connection.in_atomic_block:
        # What it would copy is not committed, and SQLite's copy would wait on its own lock.
        raise BackupError("A backup runs outside a transaction; nothing was written.")
    output = Path(output)
    if output.is_dir():
        output = output / f"kyklos-backup-{clock.now():%Y%m%dT%H%M%S}.tar"
    if output.exists():
        raise BackupError(f"{output} already exists; choose another name.")
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    media_root = Path(settings.MEDIA_ROOT)
    files = _media_files(media_root)
    manifest = {
        "format": FORMAT,
        "created_at": clock.now().isoformat(),
        "engine": engine,
        "migrations": _migrations(),
        "counts": counts(),
        "media_files": len(files),
        "vault_key_ids": _vault_key_ids(),
    }
    partial = output.with_name(output.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix="kyklos-backup-") as work:
            work_dir = Path(work)
            say("database")
            if engine == "postgresql":
                dump = work_dir / PG_DUMP
                args, env = _pg_env()
                _run([_tool("pg_dump"), "--format=custom", "--file", str(dump), *args], env)
            else:
                dump = work_dir / SQLITE_COPY
                connection.ensure_connection()
                target = sqlite3.connect(dump)
                try:
                    connection.connection.backup(target)
                finally:
                    target.close()
            (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
            with tarfile.open(partial, "w") as archive:
                archive.add(work_dir / MANIFEST, arcname=MANIFEST)
                archive.add(dump, arcname=dump.name)
                for index, path in enumerate(files, start=1):
                    archive.add(path, arcname=f"media/{path.relative_to(media_root)}")
                    if index % 200 == 0:
                        say(f"files {index}/{len(files)}")
        partial.rename(output)
    finally:
        partial.unlink(missing_ok=True)
    return output, manifest


def read_manifest(archive_path: Path) -> dict:
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"There is no backup at {archive_path}.")
    try:
        with tarfile.open(archive_path) as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(member.read())
    except (tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive_path} is not a Kyklos backup ({exc}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{archive_path} has backup format {manifest.get('format')!r}; this Kyklos "
            f"reads format {FORMAT}."
        )
    return manifest


def is_empty() -> bool:
    """No data of Kyklos or of its users: a new database, migrated or not."""
    found = counts()
    return not any(found.get(table) for table in ("auth_user", "customers_customer"))


def restore(archive_path: Path, *, progress: Callable[[str], None] | None = None) -> RestoreResult:
    """Restore the archive into this (empty) database and MEDIA_ROOT, then verify the
    audit trail. Refuses, changing nothing, when the database holds data or the archive
    was made from the other engine."""
    say = progress or (lambda _text: None)
    engine = _engine()
    if connection.in_atomic_block:
        raise BackupError("A restore runs outside a transaction; nothing was changed.")
    manifest = read_manifest(archive_path)
    if manifest["engine"] != engine:
        raise BackupError(
            f"The backup is of a {manifest['engine']} database; this Kyklos uses {engine}. "
            "Restore it into the same kind of database."
        )
    if not is_empty():
        raise BackupError(
            "This database already holds data; restore only into an empty database "
            "(create a new one and point DATABASE_URL at it). Nothing was changed."
        )
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="kyklos-restore-") as work:
        work_dir = Path(work)
        with tarfile.open(archive_path) as archive:
            archive.extractall(work_dir, filter="data")
        say("database")
        if engine == "postgresql":
            args, env = _pg_env()
            _run(
                [
                    _tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    *args,
                    str(work_dir / PG_DUMP),
                ],
                env,
            )
        else:
            connection.ensure_connection()
            source = sqlite3.connect(work_dir / SQLITE_COPY)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        for alias in connections:
            connections[alias].close()
        say("files")
        extracted = _media_files(work_dir / "media")
        for path in extracted:
            target = media_root / path.relative_to(work_dir / "media")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    say("audit trail")
    chain = audit_chain.verify()
    present = set(_vault_key_ids())
    return RestoreResult(
        manifest=manifest,
        counts=counts(),
        files=len(extracted),
        chain_ok=chain.ok,
        chain_checked=chain.checked,
        missing_keys=[k for k in manifest.get("vault_key_ids", []) if k not in present],
    )
