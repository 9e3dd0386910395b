"""Done when (issue 15): a mailbox product and a database product are ordered and paid;
the mailbox logs in over IMAP and the database accepts a connection; non-payment
suspends both on the servers and payment brings them back; termination removes them
after a backup that a restore brings back. Real Dovecot, PostgreSQL and restic."""

import imaplib
import time
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest

from kyklos.automation.services import run_day
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from kyklos.provisioning import services
from kyklos.provisioning.models import Account, Backup, Job, RestoreRequest
from tests.provisioning.conftest import make_product
from tests.provisioning.helpers import order_and_pay
from tests.provisioning.test_modules import connects, imap_login

pytestmark = pytest.mark.django_db


def password_from_link(service) -> str:
    """The customer opens the one-time link of the newest welcome notice (R5.5)."""
    notice = Outbox.objects.filter(event="provisioning_welcome", service_id=service.pk).latest("pk")
    token = notice.context["link"].rstrip("/").rsplit("/", 1)[1]
    return services.reveal_credentials(token, customer_id=service.customer_id).password


def append_message(port, user, password, text: str) -> None:
    time.sleep(1.1)
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    client.login(user, password)
    client.append("INBOX", None, None, f"Subject: {text}\r\n\r\n{text}\r\n".encode())
    client.logout()


def find_message(port, user, password, text: str) -> bool:
    time.sleep(1.1)
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    client.login(user, password)
    client.select("INBOX")
    _status, found = client.search(None, "SUBJECT", f'"{text}"')
    client.logout()
    return bool(found and found[0])


def day_run(day, capture):
    """The daily run of ``day``, and the jobs it enqueued, on that day's clock."""
    with clock.frozen(day), capture(execute=True):
        run_day(day)


def test_order_pay_suspend_pay_terminate_restore_on_real_servers(
    customer, mail_group, db_group, mail_server, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    mail = make_product("dovecot", mail_group, limits={"quota_mb": 512}, restore_fee=Decimal("20"))
    database = make_product("postgresql", db_group, type="shared_hosting")

    # ordered and paid: both exist on the servers, the customer gets one-time links
    box = order_and_pay(customer, mail, capture, label="info@example.gr")
    db = order_and_pay(customer, database, capture)
    assert Job.objects.filter(state="done", action="create").count() == 2
    box_password, db_password = password_from_link(box), password_from_link(db)
    welcome = Outbox.objects.get(event="provisioning_welcome", service_id=box.pk)
    assert box_password not in str(welcome.context)  # never the password in the mail
    db_name = Account.objects.get(service=db).username
    assert imap_login(mail_server.port, "info@example.gr", box_password)
    assert connects(db_name, db_password)
    append_message(mail_server.port, "info@example.gr", box_password, "Keep me")
    with psycopg.connect(host="127.0.0.1", user=db_name, password=db_password, dbname=db_name) as c:
        c.execute("CREATE TABLE notes (body text)")
        c.execute("INSERT INTO notes VALUES ('keep this row')")

    # not renewed: suspended on expiry, on the servers too
    expiry = box.expires_on
    day_run(expiry + timedelta(days=mail.policy.suspend_after_days), capture)
    box.refresh_from_db()
    db.refresh_from_db()
    assert (box.state, db.state) == (State.SUSPENDED, State.SUSPENDED)
    assert not imap_login(mail_server.port, "info@example.gr", box_password)
    assert not connects(db_name, db_password)

    # paid: back on the servers
    for service in (box, db):
        renewal = service.renewals.filter(invoice__status=Invoice.Status.OPEN).get().invoice
        with clock.frozen(expiry + timedelta(days=1)), capture(execute=True):
            record_payment(renewal, amount=renewal.total, method="card")
    assert imap_login(mail_server.port, "info@example.gr", box_password)
    assert connects(db_name, db_password)

    # never renewed again: terminated, after a final backup
    end = box.renewals.order_by("-period_end").first().period_end
    policy = mail.policy
    day_run(end + timedelta(days=policy.suspend_after_days), capture)
    day_run(end + timedelta(days=policy.terminate_after_days), capture)
    box.refresh_from_db()
    assert box.state == State.TERMINATED
    assert not imap_login(mail_server.port, "info@example.gr", box_password)
    assert not (mail_server.root / "home" / "info@example.gr").exists()
    assert not connects(db_name, db_password)
    final = Backup.objects.get(account__service=box, final=True)
    db_final = Backup.objects.get(account__service=db, final=True)

    # the customer asks for the restore, staff confirm: billed, and the data is back
    with clock.frozen(end + timedelta(days=policy.terminate_after_days + 1)):
        request = services.request_restore(box, final, actor=None)
        with capture(execute=True):
            job = services.confirm_restore(request, actor=None)
        db_request = services.request_restore(db, db_final, actor=None)
        with capture(execute=True):
            services.confirm_restore(db_request, actor=None)
    job.refresh_from_db()
    assert job.state == "done", job.last_answer
    request.refresh_from_db()
    assert request.state == RestoreRequest.State.CONFIRMED
    line = request.invoice.lines.get()
    assert (request.invoice.kind, line.unit_price) == ("proforma", Decimal("20.00"))
    new_password = password_from_link(box)  # created again: a new one-time link
    assert find_message(mail_server.port, "info@example.gr", new_password, "Keep me")
    db_password = password_from_link(db)
    with psycopg.connect(host="127.0.0.1", user=db_name, password=db_password, dbname=db_name) as c:
        assert c.execute("SELECT body FROM notes").fetchall() == [("keep this row",)]
