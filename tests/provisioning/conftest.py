import base64
import socket
import uuid
from decimal import Decimal

import pytest

from kyklos.provisioning import services
from kyklos.provisioning.models import ProductModule, Server, ServerGroup
from tests import factories
from tests.intake import dovecot
from tests.provisioning.fake import FakeModule


@pytest.fixture(autouse=True)
def _backups(settings, tmp_path):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    settings.KYKLOS_BACKUP_REPOSITORY = tmp_path / "backups" / "repository"
    settings.KYKLOS_BACKUP_PASSWORD = "backup-test-password"  # noqa: S105


@pytest.fixture
def fake():
    FakeModule.reset()
    yield FakeModule
    FakeModule.reset()


@pytest.fixture
def customer(db):
    return factories.customer(language="en")


def make_product(module: str, group: ServerGroup, **fields):
    product = factories.product(fields.pop("type", "email_hosting"), prices={"annual": "60.00"})
    ProductModule.objects.create(product=product, module=module, group=group, **fields)
    return product


@pytest.fixture
def fake_group(db, fake):
    group = ServerGroup.objects.create(code="fake", name="Fake servers", module="fake")
    Server.objects.create(group=group, name="fake-1", hostname="fake1.example", capacity=10)
    return group


@pytest.fixture
def fake_product(fake_group):
    return make_product("fake", fake_group, plan="basic", restore_fee=Decimal("15.00"))


@pytest.fixture
def mail_server():
    """A real Dovecot whose passwd-file the module writes."""
    try:
        server = dovecot.start(passwd_userdb=True)
    except dovecot.Unavailable as reason:
        pytest.skip(str(reason))
    yield server
    server.stop()


@pytest.fixture
def mail_group(db, mail_server):
    group = ServerGroup.objects.create(code="mail", name="Mail", module="dovecot")
    Server.objects.create(
        group=group,
        name="mail-1",
        hostname="127.0.0.1",
        port=mail_server.port,
        settings={
            "passwd_file": str(mail_server.root / "passwd"),
            "mail_root": str(mail_server.root / "home"),
            "log_path": str(mail_server.root / "dovecot.log"),
        },
    )
    return group


def _postgres_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_prefix():
    """A name prefix per test, so SQLite and PostgreSQL runs never collide; whatever
    carries it is dropped afterwards."""
    if not _postgres_up():
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 (scripts/setup)")
    prefix = f"kt{uuid.uuid4().hex[:8]}_"
    yield prefix
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as c:
        for (name,) in c.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"]
        ).fetchall():
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for (name,) in c.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", [prefix + "%"]
        ).fetchall():
            c.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def db_group(db, pg_prefix):
    group = ServerGroup.objects.create(code="pg", name="PostgreSQL", module="postgresql")
    server = Server.objects.create(
        group=group,
        name="pg-1",
        hostname="127.0.0.1",
        port=5432,
        username="postgres",
        settings={"prefix": pg_prefix},
    )
    services.save_server_secret(server, "unused-trust", actor="test")
    return group
