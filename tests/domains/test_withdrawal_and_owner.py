"""A withdrawn .gr is deleted at the registry (R4.5); a refused registration is refunded as
credit or money, as the customer chooses (R4.10); a change of registrant is billed first
where the TLD charges for it."""

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import Domain, DomainState, OwnerChange, RegistryJob
from kyklos.payments.models import CreditEntry
from kyklos.payments.services import issue_refund
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db


def registered(customer, pay, name="example-kyklos.gr", years=2):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name=name, years=years, actor="test")
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    return domain


def receipt_of(domain) -> Invoice:
    return Invoice.objects.get(related=proforma_of(domain), kind__in=["invoice", "receipt"])


def test_a_withdrawn_gr_is_deleted_at_the_registry(peer, registrar, customer, pay, run):
    domain = registered(customer, pay)
    assert "example-kyklos.gr" in peer.registry.domains
    with clock.frozen(DAY):
        run(issue_refund, receipt_of(domain), kind="gr_withdrawal", to_credit=True, actor="test")
    domain.refresh_from_db()
    job = domain.jobs.get(operation="delete")
    assert job.status == RegistryJob.Status.DONE
    assert "example-kyklos.gr" not in peer.registry.domains
    assert domain.state == DomainState.WITHDRAWN
    assert domain.service.state == "cancelled"
    # The name is free to be ordered again.
    with clock.frozen(DAY):
        again = services.order_domain(customer=customer, name="example-kyklos.gr", years=2)
    assert again.state == DomainState.PENDING


def test_a_registry_refusing_the_deletion_is_a_failure_staff_see(
    peer, registrar, customer, pay, run
):
    domain = registered(customer, pay)
    peer.registry.domains["example-kyklos.gr"].statuses.add("serverDeleteProhibited")
    with clock.frozen(DAY):
        run(issue_refund, receipt_of(domain), kind="gr_withdrawal", to_credit=True, actor="test")
    job = domain.jobs.get(operation="delete")
    assert job.status == RegistryJob.Status.FAILED and job.error_code == "2304"
    assert "example-kyklos.gr" in peer.registry.domains


def test_a_com_is_not_withdrawn(peer, registrar, customer, pay):
    domain = registered(customer, pay, "akti-kyklos.com", 1)
    with clock.frozen(DAY), pytest.raises(ValidationError, match="only a new .gr"):
        issue_refund(receipt_of(domain), kind="gr_withdrawal", to_credit=True)
    assert not domain.jobs.filter(operation="delete").exists()


@pytest.mark.parametrize("to_credit", [True, False])
def test_a_refused_registration_is_refunded_as_the_customer_chooses(
    peer, registrar, customer, pay, to_credit
):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="wanted.gr", years=2)
    peer.registry.take("wanted.gr")
    paid = proforma_of(domain)
    pay(paid, DAY)
    domain.refresh_from_db()
    with clock.frozen(DAY):
        refund = services.refund_refused(domain, to_credit=to_credit, actor="test")
    domain.refresh_from_db()
    assert abs(refund.credit_note.total) == paid.total == refund.amount
    assert domain.state == DomainState.RELEASED and domain.service.state == "cancelled"
    credited = CreditEntry.objects.filter(customer=customer, kind="refund")
    if to_credit:
        assert refund.status == "completed" and credited.get().amount == paid.total
    else:
        assert refund.status == "payout_pending" and not credited.exists()
    with pytest.raises(ValidationError, match="Only a name the registry refused"):
        services.refund_refused(domain, actor="test")


PARTICULARS = {
    "name": "Eleni Georgiou",
    "organisation": "Akti IKE",
    "street": "Tsimiski 10",
    "city": "Thessaloniki",
    "postal_code": "54624",
    "country": "gr",
    "phone": "+30 2310 111111",
    "email": "eleni@akti.example",
}


def test_a_gr_owner_change_is_billed_first_then_made_at_the_registry(
    peer, registrar, customer, pay
):
    domain = registered(customer, pay)
    with clock.frozen(DAY):
        change = services.change_owner(domain, particulars=PARTICULARS, actor="test")
    assert change.status == OwnerChange.Status.AWAITING_PAYMENT
    assert change.invoice.total > change.fee > 0
    assert peer.registry.domains["example-kyklos.gr"].registrant == f"KYK{customer.pk}"
    with pytest.raises(ValidationError, match="already under way"):
        services.change_owner(domain, particulars=PARTICULARS)
    pay(change.invoice, DAY)
    change.refresh_from_db()
    domain.refresh_from_db()
    assert change.status == OwnerChange.Status.DONE
    assert peer.registry.domains["example-kyklos.gr"].registrant == change.handle
    assert domain.contact_handle == change.handle
    assert peer.registry.contacts[change.handle] == "kyklos"


def test_a_free_owner_change_is_made_at_once(peer, registrar, customer, pay, run):
    domain = registered(customer, pay, "akti-kyklos.com", 1)
    with clock.frozen(DAY):
        change = run(services.change_owner, domain, particulars=PARTICULARS, actor="test")
    change.refresh_from_db()
    assert change.invoice is None and change.status == OwnerChange.Status.DONE
    assert peer.registry.domains["akti-kyklos.com"].registrant == change.handle


def test_bad_particulars_are_refused_and_nothing_written(peer, registrar, customer, pay):
    domain = registered(customer, pay)
    before = Invoice.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.change_owner(
            domain, particulars={**PARTICULARS, "email": "nope", "country": "Greece", "name": ""}
        )
    assert set(refused.value.message_dict) == {"email", "country", "name"}
    assert not OwnerChange.objects.exists() and Invoice.objects.count() == before
    assert Domain.objects.get(pk=domain.pk).contact_handle == f"KYK{customer.pk}"


def test_the_new_registrants_particulars_are_exported_and_erased_once_done(
    peer, registrar, customer, pay, run
):
    from kyklos.core.personal_data import Subject
    from kyklos.domains import personal_data

    domain = registered(customer, pay, "akti-kyklos.com", 1)
    with clock.frozen(DAY):
        change = run(services.change_owner, domain, particulars=PARTICULARS, actor="test")
    subject = Subject(customer_id=customer.pk)
    (row,) = personal_data.export_owner_changes(subject)
    assert row["new_registrant"]["email"] == "eleni@akti.example"
    erased = personal_data.erase_owner_changes(subject)
    change.refresh_from_db()
    assert erased.anonymised == 1 and change.particulars == {"erased": True}


def test_a_refused_registration_paid_by_card_goes_back_to_the_card(
    peer, registrar, customer, localstripe, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from kyklos.payments.services import record_payment

    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="wanted.gr", years=2)
    peer.registry.take("wanted.gr")
    proforma = proforma_of(domain)
    cents = int(proforma.total * 100)
    intent = localstripe.api(
        "POST",
        "/v1/payment_intents",
        {"amount": cents, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True},
    )
    with clock.frozen(DAY), django_capture_on_commit_callbacks(execute=True):
        record_payment(
            proforma, amount=proforma.total, method="card", provider_reference=intent["id"]
        )
    domain.refresh_from_db()
    assert domain.state == DomainState.REFUSED
    with clock.frozen(DAY):
        refund = services.refund_refused(domain, to_credit=False, actor="test")
    assert (refund.status, refund.method, refund.amount) == ("completed", "card", proforma.total)
    back = localstripe.api("GET", f"/v1/refunds/{refund.payment.provider_reference}")
    assert (back["amount"], back["payment_intent"]) == (cents, intent["id"])
    assert refund.amount == Decimal(cents) / 100
