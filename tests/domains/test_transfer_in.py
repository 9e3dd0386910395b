"""Transferring a domain in (R4.1, R4.8, R4.9): the quote before payment, the auth code's
form, the request only after payment, approval, the registry's expiry, refusals with the
customer's choice, and a lost answer that never doubles the request."""

import string
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.domains import selectors, services
from kyklos.domains.models import Domain, DomainState, RegistryJob, Transfer
from kyklos.lifecycle.models import Service
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.payments.models import CreditEntry, Refund
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db

CODE = "Their-Code#77"


def order_transfer(customer, name="moving.com", code=CODE):
    with clock.frozen(DAY):
        return services.order_transfer(customer=customer, name=name, auth_code=code, actor="test")


def sync(domain, run):
    with clock.frozen(DAY):
        services.sync_now(domain)
        run(services.run_due)
    domain.refresh_from_db()


@pytest.mark.parametrize(
    "code, message",
    [
        ("", "Give the auth code"),
        ("Plain1234", "non-alphanumeric"),
        ("with space!", "no spaces"),
        ("x!" * 40, "at most 64"),
    ],
)
def test_an_auth_code_without_punctuation_is_refused_and_nothing_written(
    registrar, customer, code, message
):
    with pytest.raises(ValidationError, match=message):
        order_transfer(customer, code=code)
    assert not Domain.objects.exists() and not Service.objects.exists()


def test_the_quote_says_a_gr_transfer_adds_no_year(peer, registrar):
    peer.registry.held_elsewhere("moving.gr", auth_code=CODE)
    with clock.frozen(DAY):
        quote = selectors.transfer_quote("moving.gr")
    assert quote.adds_year is False and quote.years == 2
    assert any("adds no year" in note for note in quote.notes)


def test_the_quote_says_a_recently_renewed_com_gains_no_extra_year(peer, registrar):
    peer.registry.held_elsewhere("renewed.com", auth_code=CODE, renewed_days_ago=20)
    peer.registry.held_elsewhere("older.com", auth_code=CODE, renewed_days_ago=200)
    with clock.frozen(DAY):
        renewed = selectors.transfer_quote("renewed.com")
        older = selectors.transfer_quote("older.com")
    assert renewed.adds_year is False
    assert any("within the last 45 days" in note for note in renewed.notes)
    assert older.adds_year is True
    assert any("adds one year" in note for note in older.notes)


def test_the_quote_warns_when_the_registry_cannot_tell(peer, registrar):
    peer.registry.outage = "drop"
    with clock.frozen(DAY):
        quote = selectors.transfer_quote("unknown-now.com")
    assert quote.adds_year is None
    assert any("could not be asked" in note for note in quote.notes)


def test_the_quote_refuses_a_name_not_registered_anywhere(peer, registrar):
    with clock.frozen(DAY), pytest.raises(ValidationError, match="not registered"):
        selectors.transfer_quote("nobody-has-it.com")


def test_the_transfer_is_asked_only_after_payment_and_follows_the_registry_expiry(
    peer, registrar, customer, pay, run
):
    held = peer.registry.held_elsewhere(
        "moving.gr", auth_code=CODE, expires=DAY + timedelta(days=300)
    )
    domain = order_transfer(customer, "moving.gr")
    assert domain.state == DomainState.PENDING and domain.origin == "transfer"
    assert not RegistryJob.objects.exists()
    assert peer.registry.count("transfer") == 0
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.TRANSFERRING
    assert "pendingTransfer" in held.statuses and held.transfer_to == "kyklos"
    assert domain.transfers.get().status == Transfer.Status.PENDING
    # The losing registrar approves; the next sync finds the name ours.
    peer.registry.approve_transfer("moving.gr")
    sync(domain, run)
    assert domain.state == DomainState.ACTIVE
    # .gr: no year added; the service renews when the registry says the name expires.
    assert domain.expires_on == DAY + timedelta(days=300) == held.expires
    assert Service.objects.get(pk=domain.service_id).expires_on == domain.expires_on
    assert domain.transfers.get().status == Transfer.Status.COMPLETED
    # The customer's code is spent: ours, of the R4.9 form, is set; the lock is on.
    ours = services.current_auth_code(domain)
    assert ours == held.auth_code != CODE
    assert any(c not in string.ascii_letters + string.digits for c in ours)
    assert "clientTransferProhibited" in held.statuses and domain.locked
    notice = Outbox.objects.get(event="domain_transferred_in")
    rendered = render_notice(notice.event, "en", notice.context)
    assert "moving.gr" in rendered.subject and "now with us" in rendered.subject


def test_an_auto_approved_com_transfer_adds_its_year(peer, registrar, customer, pay):
    expiry = DAY + timedelta(days=100)
    peer.registry.held_elsewhere("moving.com", auth_code=CODE, expires=expiry)
    peer.registry.auto_approve = True
    domain = order_transfer(customer)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    assert domain.expires_on == expiry.replace(year=expiry.year + 1)
    assert peer.registry.domains["moving.com"].sponsor == "kyklos"


def test_a_bad_auth_code_tells_staff_and_the_customer_then_a_new_code_works(
    peer, registrar, customer, pay, run
):
    peer.registry.held_elsewhere("moving.com", auth_code="Right-Code!1")
    peer.registry.auto_approve = True
    domain = order_transfer(customer)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    job = domain.jobs.get(operation="transfer_in")
    assert domain.state == DomainState.REFUSED
    assert job.status == RegistryJob.Status.FAILED and job.error_code == "2202"
    assert "Invalid authorization information" in job.error
    notice = Outbox.objects.get(event="domain_transfer_refused")
    for language in ("el", "en", "pl"):
        rendered = render_notice(notice.event, language, notice.context)
        assert "moving.com" in rendered.subject
        assert "Invalid authorization information" in rendered.body
    assert peer.registry.domains["moving.com"].sponsor == "other-registrar"
    with pytest.raises(ValidationError, match="non-alphanumeric"):
        services.retry_transfer(domain, auth_code="NoPunct1")
    with clock.frozen(DAY):
        run(services.retry_transfer, domain, auth_code="Right-Code!1", actor="test")
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    assert peer.registry.domains["moving.com"].sponsor == "kyklos"


def test_a_domain_locked_at_its_registrar_is_refused_and_refunded_as_money(
    peer, registrar, customer, pay
):
    peer.registry.held_elsewhere("locked.com", auth_code=CODE, locked=True)
    domain = order_transfer(customer, "locked.com")
    paid = proforma_of(domain)
    pay(paid, DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.REFUSED
    assert domain.jobs.get(operation="transfer_in").error_code == "2304"
    assert domain.transfers.get().status == Transfer.Status.REFUSED
    with clock.frozen(DAY):
        refund = services.refund_refused(domain, to_credit=False, actor="test")
    domain.refresh_from_db()
    # Paid by bank transfer: staff pay it back; no account credit.
    assert (refund.status, refund.kind, refund.amount) == (
        Refund.Status.PAYOUT_PENDING,
        "registry_refused",
        paid.total,
    )
    assert not CreditEntry.objects.filter(customer=customer).exists()
    assert domain.state == DomainState.RELEASED
    assert Service.objects.get(pk=domain.service_id).state == "cancelled"


def test_a_lost_answer_never_asks_for_the_transfer_twice(peer, registrar, customer, pay, run):
    peer.registry.held_elsewhere("moving.com", auth_code=CODE)
    domain = order_transfer(customer)
    peer.registry.outage, peer.registry.outage_verb = "drop_after", "transfer"
    pay(proforma_of(domain), DAY)
    job = domain.jobs.get(operation="transfer_in")
    assert job.status == RegistryJob.Status.RETRY
    assert "pendingTransfer" in peer.registry.domains["moving.com"].statuses
    peer.registry.outage = peer.registry.outage_verb = None
    with clock.frozen(job.next_attempt_at):
        run(services.run_due)
    job.refresh_from_db()
    assert job.status == RegistryJob.Status.DONE
    requests = [c for c in peer.registry.commands if c[1] == "transfer" and c[2] == job.cltrid]
    assert len(requests) == 1
    domain.refresh_from_db()
    assert domain.state == DomainState.TRANSFERRING


def test_a_name_held_here_is_not_transferred_in(peer, registrar, customer, pay):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="ours.com", years=1)
    pay(proforma_of(domain), DAY)
    with pytest.raises(ValidationError, match="already registered"):
        order_transfer(customer, "ours.com")


def test_a_registry_down_for_good_is_staffs_to_retry_not_a_refusal(
    peer, registrar, customer, pay, run, settings
):
    settings.KYKLOS_DOMAINS = {**settings.KYKLOS_DOMAINS, "MAX_ATTEMPTS": 2}
    peer.registry.held_elsewhere("moving.com", auth_code=CODE)
    peer.registry.auto_approve = True
    domain = order_transfer(customer)
    peer.registry.outage = "2400"
    pay(proforma_of(domain), DAY)
    job = domain.jobs.get(operation="transfer_in")
    with clock.frozen(job.next_attempt_at):
        run(services.run_due)
    job.refresh_from_db()
    domain.refresh_from_db()
    assert job.status == RegistryJob.Status.FAILED and "Gave up after 2" in job.error
    assert domain.state == DomainState.TRANSFERRING
    assert not Outbox.objects.filter(event="domain_transfer_refused").exists()
    peer.registry.outage = None
    run(services.retry, job, actor="staff")
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
