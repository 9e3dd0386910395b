"""Killing the worker mid-job (SIGKILL after the server acted, before our commit) and
starting it again leaves every account created exactly once and every job done
(PostgreSQL: the worker is another process on the same database)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from kyklos.core import clock
from kyklos.provisioning.models import Account, Job, ProductModule, Server, ServerGroup
from tests import factories
from tests.provisioning.test_modules import imap_login

ROOT = Path(__file__).resolve().parents[2]


WORKER_APP = "kyklos-test-worker"


def worker(markers: Path, pause: float, settings) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        # libpq's application name: the teardown ends only these sessions, not the live
        # server's of later tests.
        "PGAPPNAME": WORKER_APP,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        "KYKLOS_VAULT_KEYS": settings.KYKLOS_VAULT_KEYS,
        "KYKLOS_PROVISIONING_STALE_SECONDS": "1",
        "KYKLOS_TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.provisioning.slow_worker", str(markers), str(pause)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the worker is another process: needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_worker_killed_after_the_server_acted_leaves_each_account_created_once(
    mail_server, tmp_path, settings
):
    group = ServerGroup.objects.create(code="mail", name="Mail", module="slow-dovecot")
    Server.objects.create(
        group=group,
        name="mail-1",
        hostname="127.0.0.1",
        settings={
            "passwd_file": str(mail_server.root / "passwd"),
            "mail_root": str(mail_server.root / "home"),
        },
    )
    product = factories.product("email_hosting")
    ProductModule.objects.create(product=product, module="slow-dovecot", group=group)
    customer = factories.customer()
    today = clock.today()
    services = [
        factories.active_service(customer, product, expires_on=today, label=f"box{n}@example.gr")
        for n in range(3)
    ]
    for service in services:  # what the hook writes; no worker in this process
        Job.objects.create(service=service, action="create", generation="1", created_at=clock.now())
    markers = tmp_path / "markers"
    markers.mkdir()

    first = worker(markers, 120, settings)
    try:
        deadline = time.monotonic() + 60
        while not (markers / "box0@example.gr").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (markers / "box0@example.gr").exists(), first.stderr.read1().decode()
    finally:
        os.kill(first.pid, signal.SIGKILL)  # the server acted; the answer is not committed
        first.wait(timeout=30)
    held = Job.objects.get(service=services[0])
    assert (held.state, held.attempts) == ("running", 1)
    assert "box0@example.gr:" in (mail_server.root / "passwd").read_text()

    time.sleep(1.5)  # the dead worker's claim goes stale
    second = worker(markers, 0, settings)
    assert second.wait(timeout=120) == 0, second.stderr.read().decode()

    jobs = Job.objects.order_by("pk")
    # the dead worker had claimed its whole batch: each job was taken over once, and
    # each has one recorded attempt, done
    assert [(j.state, j.attempts) for j in jobs] == [("done", 2)] * 3
    for job in jobs:
        assert list(job.attempt_rows.values_list("result", flat=True)) == ["done"]
    lines = (mail_server.root / "passwd").read_text().splitlines()
    for n in range(3):
        assert sum(line.startswith(f"box{n}@example.gr:") for line in lines) == 1
    assert Account.objects.count() == 3
    assert set(Account.objects.values_list("state", flat=True)) == {"active"}
    # the mailbox created before the kill logs in with the password made once
    from kyklos.provisioning.services import _stored_password

    account = Account.objects.get(service=services[0])
    assert imap_login(mail_server.port, "box0@example.gr", _stored_password(account))


@pytest.fixture(autouse=True)
def _end_dead_sessions():
    """The killed worker's database session may outlive it a moment: end it, so the test
    database can be dropped."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = %s",
                [WORKER_APP],
            )
