"""Paying in the portal: methods with their fee shown before paying, proof upload,
account credit, the return from a provider (R6.4)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.core import clock
from kyklos.payments.models import Checkout, Payment, TransferProof
from kyklos.payments.services import add_credit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def proforma(customer):
    # Maria is a person in Greece: 120.00 + 24% = 148.80
    return issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.PROFORMA,
            lines=[LineSpec(description="Web Hosting Pro", unit_price=Decimal("120.00"))],
            issued_on=date(2027, 2, 20),
        )
    )


@pytest.fixture
def stripe_on(localstripe):
    return localstripe


def page(portal, invoice):
    return portal.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()


def test_the_invoice_shows_each_method_with_its_fee_before_paying(
    portal, proforma, today, stripe_on
):
    html = page(portal, proforma)
    assert "Bank transfer" in html and "no fee" in html
    # card: 2% of 120.00 = 2.40 + 0.58 VAT
    assert "Card —" in html and "€2.98" in html and "€151.78" in html
    assert "PayPal" not in html  # not configured
    assert "GR1601101250000000012300695" in html
    assert "PRO-2027-000001 (RF" in html


def test_paying_by_card_opens_our_card_page(portal, proforma, today, stripe_on):
    response = portal.post(reverse("portal:pay", args=[proforma.pk]), {"method": "card"})
    checkout = Checkout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:card_pay", args=[checkout.pk])
    assert checkout.amount == Decimal("151.78") and checkout.setup_reference.startswith("seti_")


def test_coming_back_before_the_card_is_in_records_nothing(portal, proforma, today, stripe_on):
    portal.post(reverse("portal:pay", args=[proforma.pk]), {"method": "card"})
    checkout = Checkout.objects.get()
    response = portal.get(reverse("portal:checkout_return", args=[checkout.pk]), follow=True)
    assert "as soon as the provider confirms it" in response.content.decode()
    assert Payment.objects.count() == 0


def test_an_unknown_method_is_refused(portal, proforma, today):
    response = portal.post(
        reverse("portal:pay", args=[proforma.pk]), {"method": "bitcoin"}, follow=True
    )
    assert "This payment method is not available." in response.content.decode()
    assert Checkout.objects.count() == 0


def test_the_customer_uploads_a_proof_of_transfer(portal, proforma, today):
    response = portal.post(
        reverse("portal:upload_proof", args=[proforma.pk]),
        {
            "amount": "148.80",
            "paid_on": "2027-02-28",
            "bank_reference": "NBG-99",
            "document": SimpleUploadedFile("proof.pdf", b"%PDF-1.4 ok"),
        },
        follow=True,
    )
    assert "Staff will check the transfer" in response.content.decode()
    assert TransferProof.objects.get().amount == Decimal("148.80")
    assert "is being checked" in page(portal, proforma)


def test_a_bad_proof_shows_the_error_and_writes_nothing(portal, proforma, today):
    response = portal.post(
        reverse("portal:upload_proof", args=[proforma.pk]),
        {"amount": "0", "paid_on": "2027-02-28", "document": SimpleUploadedFile("p.pdf", b"%PDF")},
    )
    assert response.status_code == 400
    assert "The amount must be greater than zero." in response.content.decode()
    assert TransferProof.objects.count() == 0


def test_credit_shows_on_the_invoices_and_pays(portal, customer, proforma, today):
    add_credit(customer, amount=Decimal("50.00"), currency="EUR", kind="adjustment")
    assert (
        "Your account credit: <strong>€50.00</strong>"
        in portal.get(reverse("portal:invoices")).content.decode()
    )
    response = portal.post(
        reverse("portal:pay", args=[proforma.pk]), {"method": "credit"}, follow=True
    )
    assert "€50.00 of your account credit was used on PRO-2027-000001." in response.content.decode()
    assert Payment.objects.get().amount == Decimal("50.00")


def test_another_customers_invoice_cannot_be_paid(portal, other_customer, today, stripe_on):
    theirs = issue_document(
        DocumentSpec(
            customer=other_customer,
            kind=DocumentKind.PROFORMA,
            lines=[LineSpec(description="x", unit_price=Decimal("10"))],
            issued_on=date(2027, 2, 20),
        )
    )
    assert (
        portal.post(reverse("portal:pay", args=[theirs.pk]), {"method": "card"}).status_code == 404
    )
    assert portal.post(reverse("portal:upload_proof", args=[theirs.pk]), {}).status_code == 404


def test_a_paid_document_offers_no_payment(portal, proforma, today):
    from kyklos.payments.services import record_payment

    record_payment(proforma, amount="148.80", method="manual")
    assert "Pay this document" not in page(portal, proforma)


def test_the_customer_sees_the_refund_computed_then_confirms_it(portal, customer):
    from kyklos.billing.models import Invoice
    from kyklos.catalog.models import Price
    from kyklos.core import clock
    from kyklos.lifecycle import services as lifecycle
    from kyklos.payments.selectors import credit_balance
    from kyklos.payments.services import record_payment
    from tests import factories

    product = factories.product("shared_hosting", prices={"annual": "120.00"}, refundable=True)
    Price.objects.filter(product=product).update(setup_fee=Decimal("20.00"))
    with clock.frozen(date(2027, 3, 1)):
        service = lifecycle.order_service(customer=customer, product=product, cycle="annual")
        proforma = service.renewals.get().invoice
        record_payment(proforma, amount="173.60", method="bank_transfer")
    receipt = Invoice.objects.get(related=proforma)
    with clock.frozen(date(2027, 3, 10)):
        html = page(portal, receipt)
        assert "Money-back guarantee" in html
        assert "You get back: <strong>€148.80</strong>" in html
        assert "Setup fee — not refundable" in html
        # a tampered total is refused
        portal.post(
            reverse("portal:refund", args=[receipt.pk]),
            {"kind": "money_back", "total": "173.60", "to": "credit"},
        )
        assert credit_balance(customer.pk, "EUR") == 0
        response = portal.post(
            reverse("portal:refund", args=[receipt.pk]),
            {"kind": "money_back", "total": "148.80", "to": "credit"},
            follow=True,
        )
    assert "Refund CN-2027-000001 of €148.80 was issued." in response.content.decode()
    assert credit_balance(customer.pk, "EUR") == Decimal("148.80")


# --- R3.4: a renewal paid late may miss its expiry -------------------------------------------


def renewal_proforma(customer, hosting, run_day, expires_on):
    from kyklos.billing.models import Invoice

    factories.active_service(customer, hosting, label="maria.gr", expires_on=expires_on)
    run_day(expires_on - timedelta(days=30))
    return Invoice.objects.get(customer=customer, kind=DocumentKind.PROFORMA)


LATE = "maria.gr expires on"


def test_paying_a_renewal_in_good_time_shows_no_warning(portal, customer, hosting, run_day):
    proforma = renewal_proforma(customer, hosting, run_day, date(2027, 6, 1))
    with clock.frozen(date(2027, 5, 27)):  # 5 days before expiry: the due date itself
        assert LATE not in page(portal, proforma)


def test_paying_a_renewal_less_than_five_days_before_expiry_warns_it_may_be_missed(
    portal, customer, hosting, run_day
):
    proforma = renewal_proforma(customer, hosting, run_day, date(2027, 6, 1))
    with clock.frozen(date(2027, 5, 29)):
        html = page(portal, proforma)
    assert LATE in html and "at least 5 days before expiry" in html
    assert "may arrive too late to renew it in time" in html


def test_a_first_order_has_no_late_renewal_warning(portal, proforma, today):
    assert LATE not in page(portal, proforma)
