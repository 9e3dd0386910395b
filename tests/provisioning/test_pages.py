"""The staff pages of jobs and restores, and the customer's credentials and restore pages."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.provisioning.models import Account, Backup, Job, RestoreRequest
from tests.provisioning.helpers import DAY, order_and_pay
from tests.provisioning.test_rules import token_of

pytestmark = pytest.mark.django_db
DAY_AT = datetime(2027, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def technical(django_user_model):
    user = django_user_model.objects.create_user("tech", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.GROUPS[roles.TECHNICAL]))
    return user


@pytest.fixture
def login(customer, django_user_model):
    user = django_user_model.objects.create_user("maria", password="x")
    customer.user = user
    customer.save(update_fields=["user"])
    return user


def test_staff_see_jobs_with_attempts_and_retry_a_failed_one(
    client, technical, customer, fake_product, fake, django_capture_on_commit_callbacks
):
    fake.refuse.add("create")
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    job = Job.objects.get(service=service)
    client.force_login(technical)
    page = client.get(reverse("provisioning:jobs"), {"state": "failed"}).content.decode()
    assert f"#{job.pk}" in page and "Failed" in page
    detail = client.get(reverse("provisioning:job", args=[job.pk])).content.decode()
    assert "code=&#x27;1007&#x27;" in detail  # the server's answer, escaped
    assert "Retry" in detail

    fake.refuse.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("provisioning:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done"
    again = client.post(reverse("provisioning:retry", args=[job.pk]), follow=True)
    assert "Only failed jobs" in again.content.decode()


def test_a_customer_opens_the_link_once_after_a_confirming_click(
    client, login, customer, fake_product, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    url = reverse("provisioning:credentials", args=[token_of(service)])
    password = fake.accounts[Account.objects.get(service=service).username]["password"]
    client.force_login(login)
    assert password not in client.get(url).content.decode()  # a GET does not spend it
    shown = client.post(url)
    assert password in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    assert password not in client.post(url).content.decode()


def test_a_customer_asks_for_a_restore_with_the_warning_and_staff_confirm_and_bill(
    client, login, technical, customer, fake_product, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    account = Account.objects.get(service=service)
    backup = Backup.objects.create(
        account=account,
        snapshot="abcdef12",
        taken_at=DAY_AT,
        keep_until=DAY + timedelta(days=14),
    )
    client.force_login(login)
    url = reverse("provisioning:restore", args=[service.pk])
    page = client.get(url).content.decode()
    assert "anything changed since then" in page
    assert "15.00" in page
    client.post(url, {"backup": backup.pk})
    request = RestoreRequest.objects.get()
    assert "waiting for staff" in client.get(url).content.decode()

    client.force_login(technical)
    assert "Confirm and bill" in client.get(reverse("provisioning:restores")).content.decode()
    client.post(reverse("provisioning:decide_restore", args=[request.pk]), {"decision": "confirm"})
    request.refresh_from_db()
    assert request.state == "confirmed"
    assert request.invoice.lines.get().unit_price == Decimal("15.00")
    assert Job.objects.filter(action="restore", service=service).exists()
