"""`kyklos backup` and `kyklos restore`: a populated installation comes back whole into an
empty database — customers, documents, uploaded files — and its audit trail verifies."""

import json
import os
import subprocess
import sys
import tarfile
import uuid
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from kyklos.billing.services import DocumentSpec, LineSpec, issue_document, settle
from kyklos.core import audit_chain, backup, clock
from kyklos.core.audit import log_action
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2027, 3, 1)


@pytest.fixture
def populated(transactional_db, settings):
    """Customers with a paid document, an uploaded file and a sealed audit trail, committed
    (the dump reads what other connections see)."""
    with clock.frozen(DAY):
        customers = [factories.customer(name=f"Πελάτης {n}") for n in range(3)]
        proforma = issue_document(
            DocumentSpec(
                customer=customers[0],
                kind="proforma",
                issued_on=DAY,
                lines=[LineSpec(description="Web hosting", unit_price=D("120.00"), quantity=D(1))],
            )
        )
        settle(proforma, paid_on=DAY)
        log_action(customers[1], "customer.note", actor="tests", data={"note": "restored?"})
    audit_chain.seal()
    upload = Path(settings.MEDIA_ROOT) / "proofs" / "2027" / "transfer.pdf"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"%PDF-1.4 proof of transfer")
    return customers


def kyklos(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "kyklos", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def empty_installation(tmp_path):
    """The environment of a new installation: its own (not yet created) database and
    KYKLOS_HOME; on PostgreSQL a new empty database that is dropped afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KYKLOS_", "DATABASE_"))}
    env.update(PYTHONPATH=str(ROOT / "src"), KYKLOS_HOME=str(tmp_path / "new"), KYKLOS_DEBUG="1")
    if connection.vendor != "postgresql":
        yield env
        return
    import psycopg

    db = connection.settings_dict
    name = f"kyklos_restore_{uuid.uuid4().hex[:8]}"
    admin = dict(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    user = db["USER"] or "postgres"
    host = db["HOST"] or "127.0.0.1"
    env["DATABASE_URL"] = f"postgres://{user}@{host}:{db['PORT'] or 5432}/{name}"
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    try:
        yield env
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_an_empty_database_whole_and_its_audit_trail_verifies(
    populated, empty_installation, tmp_path
):
    archive, manifest = backup.backup(tmp_path)
    assert archive.name.startswith("kyklos-backup-") and archive.suffix == ".tar"
    assert manifest["counts"]["customers_customer"] == 3
    assert manifest["counts"]["billing_invoice"] == 2  # the proforma and its tax invoice
    assert manifest["media_files"] == 1
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "media/proofs/2027/transfer.pdf" in names
    assert not any("vault" in n.lower() and "key" in n.lower() for n in names)

    result = kyklos("restore", str(archive), "--json", env=empty_installation)
    assert result.returncode == 0, result.stderr
    restored = json.loads(result.stdout)
    assert restored["counts"] == manifest["counts"]
    assert restored["files"] == 1 and restored["audit_chain_ok"] is True
    home = Path(empty_installation["KYKLOS_HOME"])
    assert (home / "media/proofs/2027/transfer.pdf").read_bytes() == b"%PDF-1.4 proof of transfer"

    # The restored installation works: its audit trail verifies from the command line,
    # and its migrations are complete.
    verify = kyklos("audit", "verify", env=empty_installation)
    assert verify.returncode == 0, verify.stderr
    assert f"Checked {manifest['counts']['core_auditevent']} sealed audit events" in verify.stdout
    plan = kyklos("migrate", "--check", env=empty_installation)
    assert plan.returncode == 0, plan.stdout + plan.stderr

    # A second restore into the now populated database is refused, and changes nothing.
    again = kyklos("restore", str(archive), env=empty_installation)
    assert again.returncode == 1
    assert (
        again.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "restore only into an empty database (create a new one and point DATABASE_URL at "
            "it). Nothing was changed."
        )
    )


def test_a_restore_into_a_database_with_data_is_refused_and_changes_nothing(populated, tmp_path):
    archive, _ = backup.backup(tmp_path / "kept.tar")
    before = backup.counts()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
    assert backup.counts() == before


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.tar", "There is no backup at"),
        (
            lambda p: (p / "notes.tar").write_text("hello") and p / "notes.tar",
            "is not a Kyklos backup",
        ),
    ],
)
def test_a_file_that_is_no_backup_gets_one_line(transactional_db, tmp_path, make, message):
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(make(tmp_path)))


def test_a_backup_never_overwrites_an_archive(transactional_db, tmp_path):
    (tmp_path / "kyklos.tar").write_text("an older backup")
    with pytest.raises(CommandError, match="already exists; choose another name"):
        call_command("backup", "--output", str(tmp_path / "kyklos.tar"))
    assert (tmp_path / "kyklos.tar").read_text() == "an older backup"
    assert not list(tmp_path.glob("*.partial"))


def test_the_manifest_names_the_vault_keys_a_restore_needs_but_not_the_keys(
    transactional_db, tmp_path, settings
):
    secret = "q" * 43 + "="
    settings.KYKLOS_VAULT_KEYS = f"k2:{secret},k1:{secret}"
    archive, manifest = backup.backup(tmp_path)
    assert manifest["vault_key_ids"] == ["k2", "k1"]
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member)
            assert data is None or secret.encode() not in data.read()


def test_a_backup_of_the_other_engine_is_refused(transactional_db, tmp_path):
    archive, manifest = backup.backup(tmp_path)
    other = "sqlite" if manifest["engine"] == "postgresql" else "postgresql"
    manifest["engine"] = other
    forged = tmp_path / "other.tar"
    with tarfile.open(archive) as src, tarfile.open(forged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            if member.name == "manifest.json":
                body = json.dumps(manifest).encode()
                member.size = len(body)
                import io

                dst.addfile(member, io.BytesIO(body))
            else:
                dst.addfile(member, data)
    with pytest.raises(CommandError, match=f"is of a {other} database"):
        call_command("restore", str(forged))


def test_a_backup_inside_a_transaction_is_refused(db, tmp_path):
    with pytest.raises(backup.BackupError, match="runs outside a transaction"):
        backup.backup(tmp_path)
    assert list(tmp_path.iterdir()) == []
