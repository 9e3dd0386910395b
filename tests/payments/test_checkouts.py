"""Card (Stripe) and PayPal: a checkout for the exact amount with the method's fee, and
signed webhooks that are verified, fresh, idempotent and consistent (R6.4)."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.payments import cards, checkouts
from kyklos.payments.methods import WebhookDuplicate, WebhookRejected
from kyklos.payments.models import Checkout, CreditEntry, Payment, WebhookEvent
from kyklos.payments.providers import paypal
from kyklos.payments.selectors import credit_balance
from tests.payments import fakes
from tests.payments.fakes import (
    PAYPAL_CERT_URL,
    PayPalSigner,
    paypal_event,
    stripe_event,
    stripe_headers,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 2, 9, 0, tzinfo=ZoneInfo("Europe/Athens"))


@pytest.fixture
def now():
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def card_checkout(proforma, localstripe, now, monkeypatch):
    """A card checkout at localstripe whose PaymentIntent waits for 3-D Secure: pending,
    so the webhooks below decide it; their events name its intent."""
    checkout = checkouts.start_checkout(
        proforma,
        method="card",
        return_url="https://portal.example/checkouts/{id}/return/",
        cancel_url="https://portal.example/invoices/1/",
    )
    localstripe.confirm_setup(checkout.setup_reference, "4000002500003155")
    assert cards.pay_checkout(checkout, checkout.setup_reference) == "requires_action"
    checkout.refresh_from_db()
    monkeypatch.setitem(fakes.INTENT, "id", checkout.provider_reference)
    return checkout


def written():
    return (
        Payment.objects.count(),
        WebhookEvent.objects.count(),
        CreditEntry.objects.count(),
        AuditEvent.objects.count(),
        list(Invoice.objects.values_list("status", "total").order_by("id")),
        list(Checkout.objects.values_list("status", flat=True)),
    )


def test_a_card_checkout_asks_stripe_for_the_total_with_the_card_fee(card_checkout, localstripe):
    # 148.80 + 2% card fee (2.40 + 0.58 VAT) = 151.78
    assert card_checkout.amount == Decimal("151.78")
    assert card_checkout.provider_reference.startswith("pi_")
    intent = localstripe.api("GET", f"/v1/payment_intents/{card_checkout.provider_reference}")
    assert (intent["amount"], intent["currency"]) == (15178, "eur")
    assert intent["metadata"]["checkout"] == str(card_checkout.pk)
    assert card_checkout.redirect_url == ""  # the card is typed on our own pay page


def test_stripes_signed_event_records_the_payment_and_starts_the_order(
    card_checkout, order, proforma, now
):
    body = stripe_event()
    event = checkouts.handle_webhook("card", body, stripe_headers(body))

    assert event.outcome == "recorded"
    # 151.78 = the fee proforma's 2.98 + the order's 148.80, each settled with its receipt
    payments = Payment.objects.order_by("id")
    assert [(p.invoice.number, p.amount, p.method, p.provider_reference) for p in payments] == [
        ("PRO-2027-000002", Decimal("2.98"), "card", card_checkout.provider_reference),
        ("PRO-2027-000001", Decimal("148.80"), "card", card_checkout.provider_reference),
    ]
    proforma.refresh_from_db()
    order.refresh_from_db()
    card_checkout.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    assert card_checkout.status == "succeeded" and card_checkout.payment.amount == Decimal("148.80")
    assert order.state == State.ACTIVE
    assert Invoice.objects.get(related=proforma).total == Decimal("148.80")
    assert Invoice.objects.get(related=card_checkout.fee_invoice).total == Decimal("2.98")


def test_the_same_event_id_twice_is_done_once(card_checkout, now, caplog):
    body = stripe_event()
    checkouts.handle_webhook("card", body, stripe_headers(body))
    before = written()
    with caplog.at_level(logging.WARNING, logger="kyklos.payments"):
        with pytest.raises(WebhookDuplicate):
            checkouts.handle_webhook("card", body, stripe_headers(body))
    assert written() == before
    assert "already handled" in caplog.text


def test_a_second_event_for_a_paid_checkout_changes_nothing(card_checkout, now):
    body = stripe_event()
    checkouts.handle_webhook("card", body, stripe_headers(body))
    other = stripe_event(event_id="evt_2")
    event = checkouts.handle_webhook("card", other, stripe_headers(other))
    assert event.outcome == "already succeeded"
    assert Payment.objects.count() == 2


def _signed(**event):
    """A genuine event, signed when the test runs (a signature made at collection time
    would be stale by the time a slow suite reaches the test)."""
    return lambda: (stripe_event(**event), stripe_headers(stripe_event(**event)))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: (stripe_event(), {"Stripe-Signature": "t=1,v1=deadbeef"}), "signature refused"),
        (lambda: (stripe_event(), stripe_headers(b"{}")), "signature refused"),
        (
            lambda: (stripe_event(), stripe_headers(stripe_event(), secret="whsec_other")),
            "signature",
        ),
        (lambda: (stripe_event(), {}), "signature refused"),
        # a genuine event replayed ten minutes later
        (
            lambda: (stripe_event(), stripe_headers(stripe_event(), age_seconds=600)),
            "Timestamp outside the tolerance",
        ),
        # a forged confirmation: genuine signature, 1.00 EUR instead of 151.78
        (_signed(amount=100), "confirms 1.00 EUR"),
        (_signed(currency="usd"), "confirms 151.78 USD"),
        (_signed(intent="pi_unknown"), "names no checkout of ours"),
    ],
)
def test_bad_stripe_webhooks_are_refused_write_nothing_and_are_logged(
    card_checkout, now, caplog, make, message
):
    body, headers = make()
    before = written()
    with caplog.at_level(logging.WARNING, logger="kyklos.payments"):
        with pytest.raises(WebhookRejected, match=message):
            checkouts.handle_webhook("card", body, headers)
    assert written() == before
    assert "card webhook refused" in caplog.text


def test_a_failed_intent_marks_the_checkout_failed(card_checkout, now):
    body = stripe_event(
        event_type="payment_intent.payment_failed", status="requires_payment_method"
    )
    assert checkouts.handle_webhook("card", body, stripe_headers(body)).outcome == "failed"
    card_checkout.refresh_from_db()
    assert card_checkout.status == "failed"
    assert Payment.objects.count() == 0


def test_an_unrelated_event_is_stored_as_ignored(card_checkout, now):
    body = stripe_event(event_type="customer.created")
    assert checkouts.handle_webhook("card", body, stripe_headers(body)).outcome == "ignored"
    assert Payment.objects.count() == 0


def test_money_confirmed_for_a_document_paid_meanwhile_becomes_credit(
    card_checkout, company, proforma, now
):
    from kyklos.payments.services import record_payment

    record_payment(proforma, amount="148.80", method="bank_transfer")
    body = stripe_event()
    assert checkouts.handle_webhook("card", body, stripe_headers(body)).outcome == "credited"
    # the fee proforma (2.98) is paid; the 148.80 for the order becomes credit
    assert credit_balance(company.pk, "EUR") == Decimal("148.80")


def test_the_webhook_endpoint_answers_the_provider(card_checkout, client, now):
    url = reverse("payments:webhook", args=["card"])
    body = stripe_event()
    ok = client.post(url, body, content_type="application/json", headers=stripe_headers(body))
    again = client.post(url, body, content_type="application/json", headers=stripe_headers(body))
    bad = client.post(url, body, content_type="application/json", headers={"Stripe-Signature": "x"})
    assert (ok.status_code, ok.json()) == (200, {"status": "recorded"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert bad.status_code == 400 and "signature" in bad.json()["message"]
    assert client.get(url).status_code == 405


def test_a_webhook_for_a_method_kyklos_does_not_have_is_not_found(card_checkout, client, now):
    body = stripe_event()
    url = reverse("payments:webhook", args=["bitcoin"])
    response = client.post(url, body, content_type="application/json", headers=stripe_headers(body))
    assert response.status_code == 404
    assert response.json() == {"message": "no payment method 'bitcoin'"}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("invoice_status", "message"), [("paid", "already paid"), ("cancelled", "is cancelled")]
)
def test_no_checkout_for_a_paid_or_cancelled_document(
    proforma, localstripe, now, invoice_status, message
):
    Invoice.objects.filter(pk=proforma.pk).update(status=invoice_status)
    with pytest.raises(ValidationError, match=message):
        checkouts.start_checkout(proforma, method="card", return_url="/r/{id}", cancel_url="/c/")
    assert Checkout.objects.count() == 0
    assert localstripe.api("GET", "/v1/setup_intents")["data"] == []


def test_a_method_without_keys_is_not_available(proforma, now):
    with pytest.raises(ValidationError, match="not available"):
        checkouts.start_checkout(proforma, method="card", return_url="/r/{id}", cancel_url="/c/")


# --- PayPal -------------------------------------------------------------------------------


class FakeOrders:
    def __init__(self):
        self.calls = []

    def create_order(self, options):
        self.calls.append(("create", options))
        links = [
            SimpleNamespace(rel="self", href="https://api.paypal.com/v2/checkout/orders/5O19"),
            SimpleNamespace(
                rel="payer-action",
                href="https://www.paypal.com/checkoutnow?token=5O190127TN364715T",
            ),
        ]
        return SimpleNamespace(body=SimpleNamespace(id="5O190127TN364715T", links=links))

    def capture_order(self, options):
        self.calls.append(("capture", options))


@pytest.fixture
def signer(providers, monkeypatch, now):
    signer = PayPalSigner(NOW)
    monkeypatch.setitem(paypal.CERTIFICATES, PAYPAL_CERT_URL, signer.certificate)
    return signer


@pytest.fixture
def paypal_checkout(proforma, signer, monkeypatch):
    orders = FakeOrders()
    monkeypatch.setattr(paypal.PayPal, "client", lambda self: SimpleNamespace(orders=orders))
    checkout = checkouts.start_checkout(
        proforma, method="paypal", return_url="https://p.example/{id}/", cancel_url="/c/"
    )
    checkout.orders = orders
    return checkout


def test_a_paypal_order_is_for_the_total_with_the_paypal_fee(paypal_checkout):
    # 148.80 + 2.4% PayPal fee (2.88 + 0.69 VAT) = 152.37
    (kind, options) = paypal_checkout.orders.calls[0]
    unit = options["body"].purchase_units[0]
    assert (unit.amount.value, unit.amount.currency_code, unit.invoice_id) == (
        "152.37",
        "EUR",
        "PRO-2027-000001",
    )
    assert paypal_checkout.provider_reference == "5O190127TN364715T"
    assert paypal_checkout.redirect_url.startswith("https://www.paypal.com/checkoutnow")


def test_paypals_signed_capture_records_the_payment(paypal_checkout, signer, proforma):
    body = paypal_event()
    event = checkouts.handle_webhook("paypal", body, signer.headers(body, sent_at=NOW))
    assert event.outcome == "recorded"
    # 152.37 = fee proforma 3.57 + order 148.80
    payments = Payment.objects.order_by("id")
    assert [(p.amount, p.method, p.provider_reference) for p in payments] == [
        (Decimal("3.57"), "paypal", "3C679366HH908993F"),
        (Decimal("148.80"), "paypal", "3C679366HH908993F"),
    ]
    proforma.refresh_from_db()
    assert proforma.status == "paid"


def test_bad_paypal_webhooks_are_refused_and_write_nothing(paypal_checkout, signer, caplog):
    body = paypal_event()
    good = signer.headers(body, sent_at=NOW)
    other_key = PayPalSigner(NOW)
    cases = [
        (
            {**good, "PAYPAL-TRANSMISSION-SIG": good["PAYPAL-TRANSMISSION-SIG"][:-8] + "AAAAAAA="},
            body,
            "signature refused",
        ),
        (signer.headers(body, sent_at=NOW, webhook_id="OTHERWEBHOOK"), body, "signature refused"),
        (other_key.headers(body, sent_at=NOW), body, "signature refused"),
        (good, body.replace(b"152.37", b"1.00"), "signature refused"),
        (signer.headers(body, sent_at=NOW - timedelta(minutes=10)), body, "outside the tolerance"),
        (
            signer.headers(body, sent_at=NOW, cert_url="https://evil.example/paypal.com/cert"),
            body,
            "not on paypal.com",
        ),
        ({k: v for k, v in good.items() if k != "PAYPAL-TRANSMISSION-SIG"}, body, "missing"),
        (
            signer.headers(paypal_event(value="1.00"), sent_at=NOW),
            paypal_event(value="1.00"),
            "confirms 1.00 EUR",
        ),
    ]
    before = written()
    for headers, payload, message in cases:
        with caplog.at_level(logging.WARNING, logger="kyklos.payments"):
            with pytest.raises(WebhookRejected, match=message):
                checkouts.handle_webhook("paypal", payload, headers)
    assert written() == before
    assert caplog.text.count("paypal webhook refused") == len(cases)


def test_a_replayed_paypal_event_id_is_done_once(paypal_checkout, signer):
    body = paypal_event()
    checkouts.handle_webhook("paypal", body, signer.headers(body, sent_at=NOW))
    before = written()
    with pytest.raises(WebhookDuplicate):
        later = NOW + timedelta(minutes=1)
        with clock.frozen(later):
            checkouts.handle_webhook(
                "paypal", body, signer.headers(body, sent_at=later, transmission_id="t2")
            )
    assert written() == before
