"""The Dovecot and PostgreSQL modules on real servers: create, suspend (login refused),
unsuspend, limits, terminate; every operation idempotent."""

import imaplib
import time

import psycopg
import pytest
from django.core.exceptions import ValidationError

from kyklos.provisioning import modules
from kyklos.provisioning.modules.base import Account, PermanentFailure, Server

pytestmark = pytest.mark.django_db


def imap_login(port: int, user: str, password: str) -> bool:
    time.sleep(1.1)  # Dovecot looks at its passwd-file at most once a second
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    try:
        client.login(user, password)
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001, S110
            pass
    return True


def mail_server_view(server) -> Server:
    return Server(
        id=1,
        hostname="127.0.0.1",
        port=server.port,
        username="",
        secret="",
        settings={
            "passwd_file": str(server.root / "passwd"),
            "mail_root": str(server.root / "home"),
        },
    )


def test_a_dovecot_mailbox_logs_in_is_refused_when_suspended_and_comes_back(mail_server):
    dovecot = modules.get("dovecot")
    server = mail_server_view(mail_server)
    box = Account(
        service_id=7,
        username="info@example.gr",
        plan="mail",
        limits={"quota_mb": 2048, "messages_per_hour": 500},
        password="s3cret-Pass",
    )
    dovecot.create(server, box)
    dovecot.create(server, box)  # a retry after a crash: still one line
    lines = (mail_server.root / "passwd").read_text().splitlines()
    mine = [line for line in lines if line.startswith("info@example.gr:")]
    assert len(mine) == 1
    assert "s3cret-Pass" not in mine[0]  # a salted hash, never the password
    # R5.4: the quota, and the service's raised hourly limit over the 25 MB default size
    assert "userdb_quota_rule=*:storage=2048M" in mine[0]
    assert "userdb_kyklos_message_size=25M" in mine[0]
    assert "userdb_kyklos_messages_per_hour=500" in mine[0]
    assert imap_login(mail_server.port, "info@example.gr", "s3cret-Pass")
    assert not imap_login(mail_server.port, "info@example.gr", "wrong")

    dovecot.suspend(server, box, reason="unpaid")
    dovecot.suspend(server, box, reason="unpaid")
    assert not imap_login(mail_server.port, "info@example.gr", "s3cret-Pass")

    dovecot.unsuspend(server, box)
    assert imap_login(mail_server.port, "info@example.gr", "s3cret-Pass")

    dovecot.terminate(server, box)
    dovecot.terminate(server, box)  # gone is gone
    assert not imap_login(mail_server.port, "info@example.gr", "s3cret-Pass")
    assert not (mail_server.root / "home" / "info@example.gr").exists()


def test_dovecot_refuses_a_bad_name_and_missing_settings(mail_server):
    dovecot = modules.get("dovecot")
    with pytest.raises(PermanentFailure, match="not a valid mailbox name"):
        dovecot.create(
            mail_server_view(mail_server),
            Account(service_id=1, username="bad:name", plan="", password="x"),
        )
    with pytest.raises(PermanentFailure, match="no passwd_file setting"):
        dovecot.create(
            Server(id=1, hostname="h", port=None, username="", secret=""),
            Account(service_id=1, username="ok", plan="", password="x"),
        )
    with pytest.raises(ValidationError, match="no setting"):
        dovecot.check_settings({"quota": 10})


def connects(user: str, password: str) -> bool:
    try:
        with psycopg.connect(
            host="127.0.0.1", user=user, password=password, dbname=user, connect_timeout=5
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def test_a_postgresql_database_connects_is_refused_when_suspended_and_is_dropped(pg_prefix):
    pg = modules.get("postgresql")
    server = Server(id=1, hostname="127.0.0.1", port=5432, username="postgres", secret="")
    name = pg.username(42, "", pg_prefix)
    db = Account(
        service_id=42, username=name, plan="", password="pw-42", limits={"connection_limit": 3}
    )
    pg.create(server, db)
    pg.create(server, db)  # idempotent
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres") as admin:
        limit = admin.execute(
            "SELECT rolconnlimit FROM pg_roles WHERE rolname = %s", [name]
        ).fetchone()
        owner = admin.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchall()
    assert limit == (3,)
    assert owner == [(name,)]
    assert connects(name, "pw-42")

    pg.suspend(server, db, reason="unpaid")
    assert not connects(name, "pw-42")
    pg.unsuspend(server, db)
    assert connects(name, "pw-42")

    pg.terminate(server, db)
    pg.terminate(server, db)
    assert not connects(name, "pw-42")
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres") as admin:
        assert admin.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]
        ).fetchone() == (0,)
