"""The durable jobs: lifecycle changes become jobs keyed per service, action and
generation, run once, retried with backoff, failed to a ticket with the server's answer."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock, hooks
from kyklos.lifecycle.models import Service, State
from kyklos.provisioning import services
from kyklos.provisioning.models import Account, Attempt, Job, Server
from kyklos.support.models import Ticket
from tests import factories
from tests.provisioning.helpers import DAY, order_and_pay

pytestmark = pytest.mark.django_db


def test_paying_an_order_creates_the_account_once_on_the_server(
    customer, fake_product, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)

    assert service.state == State.ACTIVE
    account = Account.objects.get(service=service)
    assert account.state == Account.State.ACTIVE
    assert account.remote == {"remote_id": f"r-{service.pk}"}
    assert fake.calls == [("create", account.username)]
    job = Job.objects.get(service=service)
    assert (job.action, job.state, job.attempts, job.key) == (
        "create",
        "done",
        1,
        f"{service.pk}:create:1",
    )
    assert job.attempt_rows.get().result == Attempt.Result.DONE


def suspended(ids, previous=State.ACTIVE):
    hooks.services_changed.send(
        sender=Service,
        ids=ids,
        to=State.SUSPENDED,
        previous=dict.fromkeys(ids, previous),
        day=DAY,
        reason="expired",
        actor="automation",
    )


def test_a_repeated_hook_for_the_same_change_writes_no_second_job(fake_product, customer):
    service = factories.active_service(customer, fake_product, expires_on=DAY)
    suspended([service.pk])
    suspended([service.pk])
    assert list(Job.objects.values_list("action", "generation")) == [("suspend", "1")]
    hooks.services_changed.send(
        sender=Service,
        ids=[service.pk],
        to=State.ACTIVE,
        previous={service.pk: State.SUSPENDED},
        day=DAY,
        reason="paid",
        actor="billing",
    )
    suspended([service.pk])  # suspended again later: a new generation of the key
    assert sorted(Job.objects.values_list("action", "generation")) == [
        ("suspend", "1"),
        ("suspend", "2"),
        ("unsuspend", "1"),
    ]


def test_two_writers_of_the_same_key_insert_one_row(fake_product, customer):
    service = factories.active_service(customer, fake_product, expires_on=DAY)
    services.enqueue_jobs([(service.pk, "backup", {"generation": "daily:2027-03-01"})])
    services.enqueue_jobs([(service.pk, "backup", {"generation": "daily:2027-03-01"})])
    assert Job.objects.filter(service=service, action="backup").count() == 1


def test_the_hook_writes_one_bulk_insert_for_many_services(
    fake_product, customer, django_assert_max_num_queries
):
    many = [factories.active_service(customer, fake_product, expires_on=DAY) for _ in range(30)]
    ids = [s.pk for s in many]
    with django_assert_max_num_queries(4):  # services, accounts, job history, insert
        suspended(ids)
    assert Job.objects.filter(action="suspend").count() == 30


def test_a_later_job_waits_for_the_earlier_one_of_its_service(
    fake_product, customer, fake, django_capture_on_commit_callbacks
):
    fake.failures["create"] = 1
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    services.enqueue_jobs([(service.pk, "suspend", {"reason": "debt"})])
    create = Job.objects.get(service=service, action="create")
    with clock.frozen(create.next_try_at - timedelta(seconds=1)):
        assert services.run_due() == {}  # the create waits for its retry; suspend for it
    with clock.frozen(create.next_try_at):
        services.run_due()
    assert [c[0] for c in fake.calls] == ["create", "create", "suspend"]
    assert Account.objects.get(service=service).state == Account.State.SUSPENDED


def test_temporary_failures_back_off_then_fail_to_a_ticket_with_the_servers_answer(
    fake_product, customer, fake, settings, django_capture_on_commit_callbacks
):
    settings.KYKLOS_PROVISIONING = {"MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 60}
    fake.failures["create"] = 10
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    job = Job.objects.get(service=service)
    assert (job.state, job.attempts) == ("retry", 1)
    assert job.next_try_at - job.claimed_at == timedelta(seconds=60)
    with clock.frozen(job.next_try_at + timedelta(seconds=1)):
        services.run_due()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("retry", 2)
    assert job.next_try_at - job.claimed_at == timedelta(seconds=120)  # doubled
    with clock.frozen(job.next_try_at + timedelta(seconds=1)):
        services.run_due()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("failed", 3)
    ticket = Ticket.objects.get(pk=job.ticket_id)
    assert ticket.department.code == "technical"
    assert ticket.service_id == service.pk
    assert "503 Service Unavailable" in ticket.messages.first().body
    assert list(job.attempt_rows.values_list("result", flat=True)) == ["temporary"] * 3


def test_a_refusal_fails_at_once_and_staff_retry_it(
    fake_product, customer, fake, django_capture_on_commit_callbacks
):
    fake.refuse.add("create")
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    job = Job.objects.get(service=service)
    assert (job.state, job.attempts) == ("failed", 1)
    assert "code='1007'" in job.last_answer
    assert Ticket.objects.filter(pk=job.ticket_id).exists()

    fake.refuse.clear()
    staff = factories_staff()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry(job, actor=staff)
    job.refresh_from_db()
    assert job.state == "done"
    assert job.attempt_rows.count() == 2  # the history stays


def test_only_a_failed_job_is_retried(
    fake_product, customer, fake, django_capture_on_commit_callbacks
):
    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    job = Job.objects.get(service=service)
    with pytest.raises(ValidationError, match="Only failed jobs"):
        services.retry(job, actor=None)


def test_a_new_account_goes_to_the_server_with_the_lowest_share_in_use(
    fake_group, fake_product, customer
):
    small = Server.objects.get(group=fake_group)  # capacity 10
    big = Server.objects.create(group=fake_group, name="fake-2", hostname="f2", capacity=100)

    def place(server, n):
        for _ in range(n):
            service = factories.active_service(customer, fake_product, expires_on=DAY)
            Account.objects.create(
                service=service,
                server=server,
                module="fake",
                username=f"u{service.pk}",
                state="active",
                created_at=clock.now(),
            )

    place(small, 1)  # 10 % in use
    place(big, 3)  # 3 % in use
    assert services.least_loaded(fake_product.provisioning) == big
    place(big, 20)  # 23 %
    assert services.least_loaded(fake_product.provisioning) == small
    Server.objects.filter(pk=small.pk).update(is_active=False)
    assert services.least_loaded(fake_product.provisioning) == big


def test_a_full_group_is_a_temporary_failure(fake_group, fake_product, customer):
    Server.objects.filter(group=fake_group).update(capacity=0)
    with pytest.raises(Exception, match="has room"):
        services.least_loaded(fake_product.provisioning)


def factories_staff():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("tech", password="x", is_staff=True)


def test_a_plan_change_changes_the_plan_on_the_server(
    fake_group, fake_product, customer, fake, django_capture_on_commit_callbacks
):
    from tests.provisioning.conftest import make_product

    service = order_and_pay(customer, fake_product, django_capture_on_commit_callbacks)
    bigger = make_product("fake", fake_group, plan="large")
    Service.objects.filter(pk=service.pk).update(product=bigger)
    service.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        hooks.service_plan_changed.send(
            sender=Service, service=service, previous_product_id=fake_product.pk, actor=None
        )
    job = Job.objects.get(action="change_plan")
    assert (job.state, job.payload, job.last_answer) == (
        "done",
        {"previous_plan": "basic"},
        "Plan set to large.",
    )
    assert fake.calls[-1][0] == "change_plan"
