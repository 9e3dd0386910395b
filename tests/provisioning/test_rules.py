"""R5.2 backup schedule, R5.5 welcome with a one-time link, R5.6 abuse suspension, R5.7
mail-log retention, usage for the portal."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.provisioning import logs, selectors, services
from kyklos.provisioning.models import Account, BackupPolicy, Job, Server
from kyklos.provisioning.modules.base import ModuleError, Usage
from kyklos.provisioning.services import reveal_credentials
from tests import factories
from tests.provisioning.helpers import order_and_pay

pytestmark = pytest.mark.django_db


def token_of(service) -> str:
    notice = Outbox.objects.filter(event="provisioning_welcome", service_id=service.pk).latest("pk")
    return notice.context["link"].rstrip("/").rsplit("/", 1)[1]


# --- R5.5 -----------------------------------------------------------------------------------


def test_the_welcome_notice_carries_a_one_time_link_never_the_password(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    username = Account.objects.get(service=service).username
    password = fake.accounts[username]["password"]
    notice = Outbox.objects.get(event="provisioning_welcome", service_id=service.pk)
    assert password not in str(notice.context)
    assert notice.context["username"] == username

    other = factories.customer()
    with pytest.raises(ValidationError, match="not valid"):
        reveal_credentials(token_of(service), customer_id=other.pk)
    revealed = reveal_credentials(token_of(service), customer_id=customer.pk)
    assert revealed.password == password
    with pytest.raises(ValidationError, match="used already"):
        reveal_credentials(token_of(service), customer_id=customer.pk)


def test_an_expired_link_shows_nothing(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    later = datetime(2027, 3, 1, 12, 0) + timedelta(hours=80)
    with clock.frozen(later), pytest.raises(ValidationError, match="expired"):
        reveal_credentials(token_of(service), customer_id=customer.pk)


# --- R5.6 -----------------------------------------------------------------------------------


def test_abuse_suspends_at_once_with_the_reason_and_payments_do_not_lift_it(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    service = order_and_pay(customer, fake_product, capture)
    username = Account.objects.get(service=service).username

    with pytest.raises(ValidationError, match="Give the reason"):
        services.suspend_for_abuse(service, reason="  ", actor=None)
    assert not Job.objects.filter(action="suspend").exists()  # refused: nothing written

    with capture(execute=True):
        services.suspend_for_abuse(service, reason="Sending spam", actor=None)
    assert fake.accounts[username]["on"] is False
    service.refresh_from_db()
    assert service.state == State.ACTIVE  # no notice period, no lifecycle change
    told = Outbox.objects.get(event="provisioning_abuse_suspended", service_id=service.pk)
    assert told.context["reason"] == "Sending spam"
    with pytest.raises(ValidationError, match="already suspended"):
        services.suspend_for_abuse(service, reason="again", actor=None)

    # a debt suspension ending (unsuspend) keeps the abuse suspension on the server
    with capture(execute=True):
        services.enqueue_jobs([(service.pk, "unsuspend", {})])
    assert fake.accounts[username]["on"] is False
    assert "Kept suspended for abuse" in Job.objects.filter(action="unsuspend").get().last_answer

    with capture(execute=True):
        services.lift_abuse_suspension(service, actor=None)
    assert fake.accounts[username]["on"] is True
    assert Outbox.objects.filter(event="provisioning_abuse_lifted").count() == 1
    with pytest.raises(ValidationError, match="not suspended for abuse"):
        services.lift_abuse_suspension(service, actor=None)


def test_abuse_needs_an_account_on_a_server(customer, fake_product):
    service = factories.active_service(customer, fake_product, expires_on=date(2028, 1, 1))
    with pytest.raises(ValidationError, match="no account"):
        services.suspend_for_abuse(service, reason="spam", actor=None)


# --- R5.2 -----------------------------------------------------------------------------------


def test_backups_are_daily_and_monthly_on_the_15th_once_per_day(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    assert {(p.code, p.every, p.day_of_month, p.keep_days) for p in BackupPolicy.objects.all()} == {
        ("daily", "day", None, 14),
        ("monthly", "month", 15, 365),
    }
    assert services.schedule_backups(date(2027, 3, 14)) == 0  # the fake module keeps none
    monkeypatch.setattr(fake, "backs_up", True)
    services.schedule_backups(date(2027, 3, 14))
    services.schedule_backups(date(2027, 3, 15))
    services.schedule_backups(date(2027, 3, 15))  # a second run of the day adds nothing
    keys = sorted(Job.objects.filter(action="backup").values_list("generation", flat=True))
    assert keys == ["daily:2027-03-14", "daily:2027-03-15", "monthly:2027-03-15"]
    assert all(j.service_id == service.pk for j in Job.objects.filter(action="backup"))


# --- R5.7 -----------------------------------------------------------------------------------


def test_mail_log_lines_older_than_seven_days_are_removed(tmp_path, fake_group):
    log = tmp_path / "mail.log"
    log.write_text(
        "2027-03-01 10:00:00 imap-login: Info: Login: user=<a>\n"
        "  continued line of the old entry\n"
        "2027-03-08 10:00:00 imap-login: Info: Login: user=<b>\n"
        "2027-03-09 10:00:00 imap-login: Info: Login: user=<c>\n"
    )
    Server.objects.filter(group=fake_group).update(settings={"log_path": str(log)})
    assert logs.prune(date(2027, 3, 15)) == 2
    assert log.read_text().splitlines() == [
        "2027-03-08 10:00:00 imap-login: Info: Login: user=<b>",
        "2027-03-09 10:00:00 imap-login: Info: Login: user=<c>",
    ]
    assert logs.prune(date(2027, 3, 15)) == 0


# --- usage ----------------------------------------------------------------------------------


def test_usage_for_the_portal(customer, fake_product, fake, django_capture_on_commit_callbacks):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    fake_product.provisioning.limits = {"quota_mb": 100}
    fake_product.provisioning.save()
    rows = selectors.usage_for(service)
    assert [(r.label, r.value, r.limit) for r in rows] == [
        ("Disk", "12.5 MB", "100 MB"),
        ("Mailboxes", "3", None),
    ]
    other = factories.active_service(customer, factories.product(), expires_on=date(2028, 1, 1))
    assert selectors.usage_for(other) is None


def test_usage_is_read_from_the_server_once_in_a_while_not_on_every_page(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    asked = []
    answers = iter([Usage(disk_mb=12.5), Usage(disk_mb=99.0)])

    def usage(self, server, account):
        asked.append(account.username)
        return next(answers)

    monkeypatch.setattr(fake, "usage", usage)
    first = selectors.usage_for(service)
    again = selectors.usage_for(service)
    assert len(asked) == 1
    assert [r.value for r in first] == [r.value for r in again] == ["12.5 MB"]


def test_a_server_that_does_not_answer_is_not_asked_on_every_page(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    asked = []

    def usage(self, server, account):
        asked.append(account.username)
        raise ModuleError("connection refused", answer="")

    monkeypatch.setattr(fake, "usage", usage)
    assert selectors.usage_for(service) is None
    assert selectors.usage_for(service) is None
    assert len(asked) == 1


# --- personal data --------------------------------------------------------------------------


def test_a_customers_accounts_are_exported_and_blanked_on_erasure(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    from kyklos.core.personal_data import Subject
    from kyklos.provisioning import personal_data

    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    subject = Subject(customer_id=customer.pk)
    exported = list(personal_data.export_accounts(subject))
    assert [(row["service"], row["user_name"]) for row in exported] == [
        (service.pk, f"k{service.pk}")
    ]
    assert personal_data.erase_accounts(subject).anonymised == 1
    assert Account.objects.get(service=service).username.startswith("erased-")
    personal_data.erase_jobs(subject)
    assert set(Job.objects.values_list("last_answer", flat=True)) == {""}


# --- over-usage (R2.5) ----------------------------------------------------------------------


def over_quota(customer, fake_product, fake, capture, monkeypatch, disk_mb=150.0):
    service = order_and_pay(customer, fake_product, capture)
    fake_product.provisioning.limits = {"quota_mb": 100}
    fake_product.provisioning.save()
    monkeypatch.setattr(fake, "usage", lambda self, server, account: Usage(disk_mb=disk_mb))
    return service


def test_an_account_over_its_quota_is_told_to_the_customer_and_staff_and_keeps_running(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    from kyklos.provisioning.models import OverUsage
    from kyklos.support.models import Ticket

    service = over_quota(
        customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
    )
    account = Account.objects.get(service=service)
    counts = services.check_usage(date(2027, 3, 3), [account.pk])

    assert counts["provisioning_over_usage"] == 1
    row = OverUsage.objects.get(account=account)
    assert (row.measure, row.used, row.limit) == ("disk", Decimal("150"), Decimal("100"))
    notice = Outbox.objects.get(event="provisioning_over_usage")
    assert notice.customer_id == customer.pk
    told = render_notice(notice.event, notice.language, notice.context)
    assert told.subject.endswith(": over the disk limit")
    assert "uses 150 MB of disk, above its limit of 100 MB" in told.body
    assert "It keeps running" in told.body
    ticket = Ticket.objects.get(pk=row.ticket_id)
    assert ticket.department.code == "technical" and "150 MB" in ticket.messages.first().body
    service.refresh_from_db()
    account.refresh_from_db()
    assert service.state == State.ACTIVE and account.state == Account.State.ACTIVE
    assert not Job.objects.filter(service=service, action="suspend").exists()


def test_over_usage_is_told_once_a_month_per_limit(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    service = over_quota(
        customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
    )
    account = Account.objects.get(service=service)
    services.check_usage(date(2027, 3, 3), [account.pk])
    services.check_usage(date(2027, 3, 10), [account.pk])
    assert Outbox.objects.filter(event="provisioning_over_usage").count() == 1
    services.check_usage(date(2027, 4, 7), [account.pk])
    assert Outbox.objects.filter(event="provisioning_over_usage").count() == 2


def test_usage_within_the_limit_tells_nobody(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
):
    service = over_quota(
        customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch, 99.5
    )
    account = Account.objects.get(service=service)
    counts = services.check_usage(date(2027, 3, 3), [account.pk])
    assert counts == {"provisioning_usage_read": 1}
    assert not Outbox.objects.filter(event="provisioning_over_usage").exists()


def test_each_live_account_is_read_once_a_week(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    for _n in range(3):
        order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    live = set(Account.objects.values_list("pk", flat=True))
    week = [date(2027, 3, 1) + timedelta(days=n) for n in range(7)]
    turns = [services.usage_due(day) for day in week]
    assert sorted(pk for turn in turns for pk in turn) == sorted(live)
    assert services.usage_due(week[0] + timedelta(days=7)) == turns[0]


def test_the_daily_run_reads_usage_after_its_commit(
    customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch, run_day
):
    service = over_quota(
        customer, fake_product, fake, django_capture_on_commit_callbacks, monkeypatch
    )
    account = Account.objects.get(service=service)
    day = next(
        date(2027, 3, 1) + timedelta(days=n)
        for n in range(7)
        if account.pk in services.usage_due(date(2027, 3, 1) + timedelta(days=n))
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_day(day)
    assert Outbox.objects.filter(event="provisioning_over_usage").count() == 1
