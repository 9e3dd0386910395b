"""Ordering, paying and registering at the registry (R4.1, R4.10), registry outages, names
taken meanwhile, renewals."""

import string
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import Domain, DomainState, JobAttempt, RegistryJob
from kyklos.lifecycle import services as lifecycle
from kyklos.payments.models import CreditEntry
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db


def order(customer, name="example-kyklos.gr", years=2):
    with clock.frozen(DAY):
        return services.order_domain(customer=customer, name=name, years=years, actor="test")


def test_nothing_happens_at_the_registry_before_payment(peer, registrar, customer):
    domain = order(customer)
    assert domain.state == DomainState.PENDING
    assert proforma_of(domain).total > 0
    assert "example-kyklos.gr" not in peer.registry.domains
    assert not RegistryJob.objects.exists()


def test_paid_order_is_registered_for_its_term(peer, registrar, customer, pay):
    domain = order(customer)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    at_registry = peer.registry.domains["example-kyklos.gr"]
    assert domain.state == DomainState.ACTIVE
    assert at_registry.sponsor == "kyklos"
    assert at_registry.expires == DAY.replace(year=DAY.year + 2) == domain.expires_on
    assert at_registry.registrant == f"KYK{customer.pk}" == domain.contact_handle
    assert peer.registry.contacts[f"KYK{customer.pk}"] == "kyklos"
    # Locked against transfers, with an auth code of the R4.9 form kept in the vault.
    assert "clientTransferProhibited" in at_registry.statuses and domain.locked
    code = services.current_auth_code(domain)
    assert code == at_registry.auth_code
    assert any(c not in string.ascii_letters + string.digits for c in code)


@pytest.mark.parametrize(
    "name, years, message",
    [
        ("example.gr", 1, "2 years only"),
        ("example.xyz", 1, "not sold here"),
        ("exa mple.gr", 2, "not a valid domain name"),
        ("nodot", 1, "full domain name"),
        ("example.org", 1, "No price"),
    ],
)
def test_refused_orders_write_nothing(registrar, customer, name, years, message):
    with pytest.raises(ValidationError, match=message):
        order(customer, name, years)
    assert not Domain.objects.exists()


def test_same_gr_name_not_ordered_again_while_unpaid(registrar, customer):
    order(customer, "repeat.gr")
    with pytest.raises(ValidationError, match="unpaid order"):
        order(customer, "repeat.gr")
    assert Domain.objects.filter(name="repeat.gr").count() == 1
    order(customer, "repeat.com", 1)
    order(customer, "repeat.com", 1)  # .com has no such rule


@pytest.mark.parametrize("outage", ["drop", "drop_after", "2400", "2502"])
def test_registry_outage_mid_order_loses_nothing_and_doubles_nothing(
    peer, registrar, customer, pay, run, outage
):
    domain = order(customer)
    peer.registry.outage = outage
    pay(proforma_of(domain), DAY)
    job = RegistryJob.objects.get(domain=domain, operation="register")
    assert job.status == RegistryJob.Status.RETRY and job.next_attempt_at is not None
    assert job.attempts_made.get().result == JobAttempt.Result.TEMPORARY
    peer.registry.outage = None
    with clock.frozen(job.next_attempt_at):
        run(services.run_due)
    job.refresh_from_db()
    domain.refresh_from_db()
    assert job.status == RegistryJob.Status.DONE
    assert domain.state == DomainState.ACTIVE
    assert list(peer.registry.domains) == ["example-kyklos.gr"]
    assert RegistryJob.objects.filter(operation="register").count() == 1
    # The registration happened once at the registry, whatever was lost on the way, with
    # the auth code the vault holds.
    at_registry = peer.registry.domains["example-kyklos.gr"]
    assert at_registry.registrant == f"KYK{customer.pk}"
    assert at_registry.auth_code == services.current_auth_code(domain)


def test_registry_down_for_good_ends_in_a_visible_failure(
    peer, registrar, customer, pay, run, settings
):
    settings.KYKLOS_DOMAINS = {**settings.KYKLOS_DOMAINS, "MAX_ATTEMPTS": 2}
    domain = order(customer)
    peer.registry.outage = "2400"
    pay(proforma_of(domain), DAY)
    job = RegistryJob.objects.get(domain=domain)
    with clock.frozen(job.next_attempt_at):
        run(services.run_due)
    job.refresh_from_db()
    assert job.status == RegistryJob.Status.FAILED
    assert "Gave up after 2 attempts: 2400 Command failed" in job.error
    assert job.attempts_made.count() == 2
    # Staff retry once the registry is back.
    peer.registry.outage = None
    run(services.retry, job, actor="staff")
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE


def test_name_taken_meanwhile_then_another_name(peer, registrar, customer, pay, run):
    domain = order(customer, "wanted.gr")
    peer.registry.take("wanted.gr")
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    job = domain.jobs.get(operation="register")
    assert domain.state == DomainState.REFUSED
    assert job.status == RegistryJob.Status.FAILED and job.error_code == "2302"
    assert "Object exists" in job.error
    with pytest.raises(ValidationError, match="ending in .gr"):
        services.choose_another_name(domain, name="other.com", actor="test")
    run(services.choose_another_name, domain, name="wanted-too.gr", actor="test")
    domain.refresh_from_db()
    assert domain.name == "wanted-too.gr" and domain.state == DomainState.ACTIVE
    assert domain.service.label == "wanted-too.gr"
    assert peer.registry.domains["wanted-too.gr"].sponsor == "kyklos"


def test_name_taken_meanwhile_then_refund(peer, registrar, customer, pay):
    domain = order(customer, "wanted.gr")
    peer.registry.take("wanted.gr")
    paid = proforma_of(domain)
    pay(paid, DAY)
    domain.refresh_from_db()
    with clock.frozen(DAY):
        credit_note = services.refund_refused(domain, actor="test").credit_note
    domain.refresh_from_db()
    assert credit_note.kind == "credit_note" and abs(credit_note.total) == paid.total
    assert domain.state == DomainState.RELEASED
    assert domain.service.state == "cancelled"
    credit = CreditEntry.objects.get(customer=customer, kind="refund")
    assert credit.amount == paid.total


def test_paid_renewal_renews_once_even_when_the_answer_is_lost(peer, registrar, customer, pay, run):
    domain = order(customer)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    before = domain.expires_on
    with clock.frozen(DAY):
        invoice = lifecycle.renew_now(domain.service, actor="test")
    peer.registry.outage = "drop_after"
    pay(invoice, DAY)
    job = domain.jobs.get(operation="renew")
    assert job.status == RegistryJob.Status.RETRY
    peer.registry.outage = None
    with clock.frozen(job.next_attempt_at):
        run(services.run_due)
    domain.refresh_from_db()
    assert domain.expires_on == before.replace(year=before.year + 2)
    assert peer.registry.domains["example-kyklos.gr"].expires == domain.expires_on
    assert domain.last_renewed_on == DAY


def test_renewal_in_redemption_restores_once_renewal_and_fee_are_paid(
    peer, registrar, customer, pay
):
    from datetime import timedelta

    from kyklos.billing.models import Invoice
    from kyklos.core.audit import AuditEvent

    domain = order(customer, "late-kyklos.com", years=1)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    expiry = domain.expires_on
    peer.registry.expire("late-kyklos.com", redemption=True)
    late = expiry + timedelta(days=29)
    with clock.frozen(late):
        services.advance(late)
    domain.refresh_from_db()
    assert domain.state == DomainState.REDEMPTION
    fee = domain.redemption_invoice
    assert fee.kind == "proforma" and fee.subtotal == Decimal("80.00")
    with clock.frozen(late):
        renewal = lifecycle.renew_now(domain.service, actor="test")
    pay(renewal, late)
    assert not domain.jobs.filter(operation="renew").exists()  # the fee is still unpaid
    assert AuditEvent.objects.filter(action="domain.renewal_waits_for_redemption_fee").exists()
    pay(Invoice.objects.get(pk=fee.pk), late)
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    assert domain.expires_on == expiry.replace(year=expiry.year + 1)
    at_registry = peer.registry.domains["late-kyklos.com"]
    assert "redemptionPeriod" not in at_registry.statuses
    assert at_registry.expires == domain.expires_on
    assert domain.jobs.get(operation="renew").result["restored"] is True
