"""Card payments against localstripe (a stateful Stripe test server run as a process):
PaymentIntents with 3-D Secure, cards on file, automatic payment of due renewals (R6.4,
R6.10). Nothing about Stripe is mocked in-process."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.payments import cards, checkouts
from kyklos.payments.models import CardCharge, CardProfile, Checkout, Payment, SavedCard
from tests import factories
from tests.payments.fakes import stripe_headers

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
DECLINED_ON_CHARGE = "4000000000000341"
DECLINED_ON_SETUP = "4000000000000002"


def start(invoice):
    return checkouts.start_checkout(
        invoice,
        method="card",
        return_url="https://portal.example/checkouts/{id}/return/",
        cancel_url="https://portal.example/invoices/1/",
    )


def written():
    return (
        Payment.objects.count(),
        SavedCard.objects.count(),
        list(Invoice.objects.values_list("status", flat=True).order_by("id")),
        list(Checkout.objects.values_list("status", "provider_reference").order_by("id")),
    )


def post_event(client, event: dict):
    body = json.dumps(event).encode()
    return client.post(
        "/payments/webhooks/card/",
        body,
        content_type="application/json",
        headers=stripe_headers(body),
    )


@pytest.fixture
def card_checkout(proforma, localstripe, today):
    return start(proforma)


def test_a_card_payment_is_one_intent_for_the_checkouts_amount_and_is_recorded(
    card_checkout, localstripe, proforma
):
    assert card_checkout.setup_reference.startswith("seti_")
    assert localstripe.confirm_setup(card_checkout.setup_reference, VISA)["status"] == "succeeded"

    assert cards.pay_checkout(card_checkout, card_checkout.setup_reference) == "succeeded"

    card_checkout.refresh_from_db()
    intent = localstripe.api("GET", f"/v1/payment_intents/{card_checkout.provider_reference}")
    # 148.80 + the 2% card fee (2.40 + 0.58 VAT) = 151.78, in cents, naming our checkout
    assert (intent["amount"], intent["currency"], intent["status"]) == (15178, "eur", "succeeded")
    assert intent["metadata"] == {"checkout": str(card_checkout.pk), "invoice": proforma.number}
    proforma.refresh_from_db()
    assert (proforma.status, card_checkout.status) == ("paid", "succeeded")
    receipt = Invoice.objects.get(related=proforma)
    assert receipt.kind == "invoice" and receipt.status == "paid"
    assert Payment.objects.get(invoice=proforma).provider_reference == intent["id"]
    assert not SavedCard.objects.exists()  # not asked to keep it


def test_the_webhook_after_the_page_recorded_it_pays_nothing_twice(
    card_checkout, localstripe, client
):
    localstripe.confirm_setup(card_checkout.setup_reference, VISA)
    cards.pay_checkout(card_checkout, card_checkout.setup_reference)
    (event,) = localstripe.events("payment_intent.succeeded")

    answer = post_event(client, event)

    assert answer.status_code == 200
    assert answer.json() == {"status": "already succeeded"}
    assert Payment.objects.count() == 2  # the document and its fee document, once each


def test_a_3d_secure_card_needs_the_customer_and_is_recorded_once(
    card_checkout, localstripe, client, proforma
):
    localstripe.confirm_setup(card_checkout.setup_reference, THREE_D_SECURE)

    assert cards.pay_checkout(card_checkout, card_checkout.setup_reference) == "requires_action"
    card_checkout.refresh_from_db()
    page = cards.card_page(card_checkout)
    assert page["intent_secret"].startswith(card_checkout.provider_reference + "_secret_")
    assert proforma.status == "open" and not Payment.objects.exists()

    # Stripe.js: the customer passes 3-D Secure; the webhook comes first ...
    localstripe.authenticate(card_checkout.provider_reference, page["intent_secret"])
    (event,) = localstripe.events("payment_intent.succeeded")
    assert post_event(client, event).json() == {"status": "recorded"}
    # ... then the customer is back on our page: it asks Stripe, and finds it done.
    card_checkout.refresh_from_db()
    assert cards.check_return(card_checkout) == "succeeded"
    assert Payment.objects.filter(invoice=proforma).count() == 1
    proforma.refresh_from_db()
    assert proforma.status == "paid"


def test_the_return_page_records_a_3d_secure_payment_when_it_comes_first(
    card_checkout, localstripe, proforma
):
    localstripe.confirm_setup(card_checkout.setup_reference, THREE_D_SECURE)
    cards.pay_checkout(card_checkout, card_checkout.setup_reference)
    card_checkout.refresh_from_db()
    localstripe.authenticate(
        card_checkout.provider_reference, cards.card_page(card_checkout)["intent_secret"]
    )

    assert cards.check_return(card_checkout) == "succeeded"
    proforma.refresh_from_db()
    assert proforma.status == "paid"


def test_a_declined_card_says_so_and_pays_nothing(card_checkout, localstripe, proforma):
    localstripe.confirm_setup(card_checkout.setup_reference, DECLINED_ON_CHARGE)

    with pytest.raises(ValidationError, match="Your card was declined"):
        cards.pay_checkout(card_checkout, card_checkout.setup_reference)

    card_checkout.refresh_from_db()
    proforma.refresh_from_db()
    assert (card_checkout.status, proforma.status) == ("failed", "open")
    assert not Payment.objects.exists()
    with pytest.raises(ValidationError, match="already made or has ended"):
        cards.pay_checkout(card_checkout, card_checkout.setup_reference)


def test_a_card_refused_while_it_is_entered_is_not_charged(card_checkout, localstripe):
    answer = localstripe.confirm_setup(card_checkout.setup_reference, DECLINED_ON_SETUP)
    assert answer["status_code"] == 402  # Stripe.js shows "Your card was declined."
    before = written()

    with pytest.raises(ValidationError, match="not confirmed"):
        cards.pay_checkout(card_checkout, card_checkout.setup_reference)

    assert written() == before


def test_a_card_entered_for_another_checkout_or_customer_is_refused(
    card_checkout, localstripe, company, today
):
    other_customer = factories.customer(email="other@example.gr")
    other = start(factories_proforma(other_customer))
    localstripe.confirm_setup(other.setup_reference, VISA)
    localstripe.confirm_setup(card_checkout.setup_reference, VISA)
    before = written()

    for tampered in (other.setup_reference, "seti_doesnotexist", "pi_123", "", "x" * 500):
        with pytest.raises(ValidationError) as refused:
            cards.pay_checkout(card_checkout, tampered)
        assert len(refused.value.messages) == 1
    # the other customer's own setup, sent with their checkout, is still not this customer's
    with pytest.raises(ValidationError, match="not entered for your account"):
        cards.save_card(company, other.setup_reference)
    assert written() == before


def factories_proforma(customer):
    from tests.payments.conftest import proforma_for

    return proforma_for(customer, "100.00")


def test_a_tampered_amount_in_a_signed_event_is_refused(card_checkout, localstripe, client):
    localstripe.confirm_setup(card_checkout.setup_reference, THREE_D_SECURE)
    cards.pay_checkout(card_checkout, card_checkout.setup_reference)
    card_checkout.refresh_from_db()
    intent = localstripe.api("GET", f"/v1/payment_intents/{card_checkout.provider_reference}")
    event = {
        "id": "evt_tampered",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(__import__("time").time()),
        "data": {"object": {**intent, "status": "succeeded", "amount": 100}},
    }
    before = written()

    answer = post_event(client, event)

    assert answer.status_code == 400 and "confirms 1.00 EUR" in answer.json()["message"]
    assert written() == before


# --- cards on file -----------------------------------------------------------------------


def saved(customer, localstripe, number=VISA):
    secret = cards.new_card_setup(customer)
    setup_id = secret.split("_secret_")[0]
    assert localstripe.confirm_setup(setup_id, number)["status"] == "succeeded"
    return cards.save_card(customer, setup_id)


def test_a_saved_card_keeps_only_what_recognises_it(company, localstripe, today):
    card = saved(company, localstripe)

    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)
    assert card.provider_reference.startswith("pm_")
    assert str(card) == "visa •••• 4242 (12/2030)"
    fields = {f.name for f in SavedCard._meta.get_fields()}
    assert not fields & {"number", "cvc", "pan"}
    assert AuditEvent.objects.filter(action="card.saved").count() == 1


def test_saving_a_card_while_paying(card_checkout, localstripe, company):
    localstripe.confirm_setup(card_checkout.setup_reference, VISA)
    cards.pay_checkout(card_checkout, card_checkout.setup_reference, save=True)
    assert [c.last4 for c in SavedCard.objects.filter(customer=company)] == ["4242"]


def test_automatic_payment_needs_a_card_is_audited_and_ends_with_the_last_card(
    company, localstripe, today
):
    with pytest.raises(ValidationError, match="Save a card first"):
        cards.set_auto_pay(company, True)
    card = saved(company, localstripe)
    cards.set_auto_pay(company, True)
    assert CardProfile.objects.get(customer=company).auto_pay

    other = factories.customer(email="mallory@example.gr")
    with pytest.raises(ValidationError, match="no such card"):
        cards.remove_card(other, card.pk)
    cards.remove_card(company, card.pk)

    assert not CardProfile.objects.get(customer=company).auto_pay
    assert list(
        AuditEvent.objects.filter(action__startswith="card.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["card.saved", "card.auto_pay_on", "card.removed", "card.auto_pay_off"]
    detached = localstripe.api("GET", f"/v1/payment_methods/{card.provider_reference}")
    assert detached["customer"] is None


# --- automatic payment on the due date ---------------------------------------------------


@pytest.fixture
def auto_customer(company, localstripe, today):
    saved(company, localstripe)
    cards.set_auto_pay(company, True)
    return company


def charge_day(day, django_capture_on_commit_callbacks):
    with clock.frozen(day), django_capture_on_commit_callbacks(execute=True):
        return cards.schedule_charges(day)


def test_an_open_proforma_is_charged_on_its_due_date_once(
    auto_customer, proforma, localstripe, django_capture_on_commit_callbacks, client
):
    assert proforma.due_on == date(2027, 4, 1)
    assert charge_day(date(2027, 4, 2), django_capture_on_commit_callbacks) == {
        "card_charge_queued": 1
    }

    proforma.refresh_from_db()
    assert proforma.status == "paid"
    charge = CardCharge.objects.get()
    assert (charge.attempt, charge.status, charge.amount) == (1, "succeeded", Decimal("151.78"))
    assert charge.idempotency_key == f"kyklos-renewal-{proforma.pk}-1"
    # Again the same day, and the provider's webhook: nothing is paid twice.
    assert charge_day(date(2027, 4, 2), django_capture_on_commit_callbacks) == {}
    (event,) = localstripe.events("payment_intent.succeeded")
    assert post_event(client, event).json() == {"status": "already succeeded"}
    assert Payment.objects.filter(invoice=proforma).count() == 1


def test_nothing_is_charged_before_the_due_date_or_without_automatic_payment(
    company, localstripe, django_capture_on_commit_callbacks, today
):
    saved(company, localstripe)
    later = factories_due(company, date(2027, 4, 10))
    assert charge_day(date(2027, 4, 9), django_capture_on_commit_callbacks) == {}
    assert charge_day(date(2027, 4, 10), django_capture_on_commit_callbacks) == {}  # auto off
    later.refresh_from_db()
    assert later.status == "open" and not CardCharge.objects.exists()


def factories_due(customer, due_on):
    from kyklos.billing.services import DocumentSpec, LineSpec, issue_document

    return issue_document(
        DocumentSpec(
            customer=customer,
            kind="proforma",
            lines=[LineSpec(description="Web Hosting Pro", unit_price=Decimal("12.00"))],
            issued_on=date(2027, 4, 2),
            due_on=due_on,
        )
    )


def test_a_declined_saved_card_is_tried_on_the_retry_days_then_left_to_reminders(
    company, localstripe, django_capture_on_commit_callbacks, today
):
    saved(company, localstripe, DECLINED_ON_CHARGE)
    cards.set_auto_pay(company, True)
    document = factories_due(company, date(2027, 4, 5))

    for day in range(5, 14):
        charge_day(date(2027, 4, day), django_capture_on_commit_callbacks)

    attempts = list(
        CardCharge.objects.order_by("attempt").values_list("attempt", "scheduled_on", "status")
    )
    assert attempts == [
        (1, date(2027, 4, 5), "declined"),
        (2, date(2027, 4, 7), "declined"),
        (3, date(2027, 4, 9), "declined"),
    ]
    document.refresh_from_db()
    assert document.status == "open" and not Payment.objects.exists()
    assert CardCharge.objects.filter(error_code="card_declined").count() == 3


def test_a_bank_that_wants_the_customer_gets_them_a_link_to_pay(
    company, localstripe, django_capture_on_commit_callbacks, today
):
    saved(company, localstripe, THREE_D_SECURE)
    cards.set_auto_pay(company, True)
    document = factories_due(company, date(2027, 4, 5))

    for day in range(5, 10):
        charge_day(date(2027, 4, day), django_capture_on_commit_callbacks)

    charge = CardCharge.objects.get()  # no off-session retries: the customer must act
    assert (charge.status, charge.error_code) == ("action_required", "authentication_required")
    notice = Outbox.objects.get(event="card_action_required")
    assert notice.context["pay_url"].endswith(f"/portal/invoices/{document.pk}/")
    assert notice.context["card"] == "visa •••• 3155 (12/2030)"
    document.refresh_from_db()
    assert document.status == "open"
    intent = localstripe.api("GET", f"/v1/payment_intents/{charge.provider_reference}")
    assert intent["status"] == "canceled"


def test_a_document_paid_meanwhile_is_not_charged(
    auto_customer, proforma, django_capture_on_commit_callbacks
):
    from kyklos.payments.services import record_payment

    with clock.frozen(date(2027, 4, 2)), django_capture_on_commit_callbacks(execute=False):
        cards.schedule_charges(date(2027, 4, 2))
    record_payment(proforma, amount=proforma.total, method="bank_transfer", reference="bank")

    with clock.frozen(date(2027, 4, 2)):
        assert cards.charge_due() == {"cancelled": 1}
    assert Payment.objects.filter(invoice=proforma).count() == 1


def test_bad_retry_days_are_refused_in_one_line(settings):
    for bad in ([2, 0], [], [0, -1], [0, 0]):
        settings.KYKLOS_PAYMENTS = {**settings.KYKLOS_PAYMENTS, "card_retry_days": bad}
        with pytest.raises(ImproperlyConfigured, match="KYKLOS_CARD_RETRY_DAYS") as error:
            cards.retry_days()
        assert "\n" not in str(error.value)


def test_staff_see_every_attempt(
    auto_customer, proforma, django_capture_on_commit_callbacks, admin_client
):
    charge_day(date(2027, 4, 2), django_capture_on_commit_callbacks)
    page = admin_client.get("/admin/payments/cardcharge/")
    assert page.status_code == 200 and proforma.number in page.content.decode()
    one = admin_client.get(f"/admin/payments/cardcharge/{CardCharge.objects.get().pk}/change/")
    assert one.status_code == 200 and "kyklos-renewal-" in one.content.decode()


# --- through the real daily run -----------------------------------------------------------


@pytest.fixture
def monthly_auto(localstripe, django_capture_on_commit_callbacks):
    """A paid monthly hosting (expires 2027-05-10) of a customer with automatic payment."""
    from kyklos.lifecycle import services as lifecycle
    from kyklos.payments.services import record_payment

    customer = factories.customer(name="Eleni Auto", email="eleni.auto@example.gr", language="el")
    with clock.frozen(date(2027, 4, 10)):
        service = lifecycle.order_service(
            customer=customer, product=factories.product(), cycle="monthly", label="auto.gr"
        )
        order = Invoice.objects.get(renewals__service=service)
        record_payment(order, amount=order.total, method="bank_transfer", reference="order")
    return customer, service


def run(run_day, day, django_capture_on_commit_callbacks):
    """The day's run, then the jobs it enqueued (after its commit), on the same day."""
    with clock.frozen(day), django_capture_on_commit_callbacks(execute=True):
        return run_day(day)


def test_the_daily_run_charges_a_saved_card_on_the_renewals_due_date(
    monthly_auto, localstripe, run_day, django_capture_on_commit_callbacks
):
    customer, service = monthly_auto
    with clock.frozen(date(2027, 4, 12)):
        saved(customer, localstripe)
        cards.set_auto_pay(customer, True)

    result = run(run_day, date(2027, 5, 5), django_capture_on_commit_callbacks)

    assert result.actions["card_charge_queued"] == 1
    renewal = Invoice.objects.get(renewals__service=service, renewals__kind="renewal")
    assert (renewal.due_on, renewal.status) == (date(2027, 5, 5), "paid")  # 5 days ahead
    service.refresh_from_db()
    assert service.expires_on == date(2027, 6, 10)
    charge = CardCharge.objects.get()
    assert (charge.invoice_id, charge.status, charge.scheduled_on) == (
        renewal.pk,
        "succeeded",
        date(2027, 5, 5),
    )
    for day in range(6, 11):  # nothing more to remind, nothing charged again
        run(run_day, date(2027, 5, day), django_capture_on_commit_callbacks)
    assert CardCharge.objects.count() == 1
    assert not Outbox.objects.filter(event="payment_reminder", status="queued").exists()


def test_a_declined_saved_card_moves_the_renewal_into_reminders_and_suspension(
    monthly_auto, localstripe, run_day, django_capture_on_commit_callbacks
):
    customer, service = monthly_auto
    with clock.frozen(date(2027, 4, 12)):
        saved(customer, localstripe, DECLINED_ON_CHARGE)
        cards.set_auto_pay(customer, True)

    for day in range(5, 11):
        run(run_day, date(2027, 5, day), django_capture_on_commit_callbacks)

    assert list(CardCharge.objects.order_by("attempt").values_list("scheduled_on", "status")) == [
        (date(2027, 5, 5), "declined"),
        (date(2027, 5, 7), "declined"),
        (date(2027, 5, 9), "declined"),
    ]
    reminders = Outbox.objects.filter(event="payment_reminder", status="queued")
    assert sorted(reminders.values_list("offset_days", flat=True)) == [0, 1]
    service.refresh_from_db()
    assert service.state == "suspended"  # R6.10: an unpaid renewal, like any other


def test_an_unreachable_provider_is_tried_again_later_and_charges_once(
    auto_customer, proforma, localstripe, settings, django_capture_on_commit_callbacks
):
    from tests.payments.localstripe import free_port

    reachable = settings.KYKLOS_PAYMENTS
    settings.KYKLOS_PAYMENTS = {
        **reachable,
        "stripe_api_base": f"http://localhost:{free_port()}",  # nobody listens there
    }
    charge_day(date(2027, 4, 2), django_capture_on_commit_callbacks)
    charge = CardCharge.objects.get()
    assert (charge.status, charge.tries) == ("retry", 1)
    assert charge.next_try_at is not None

    settings.KYKLOS_PAYMENTS = reachable
    with clock.frozen(date(2027, 4, 2)):
        assert cards.charge_due() == {}  # not yet: it waits for its backoff
    with clock.frozen(charge.next_try_at + timedelta(seconds=1)):
        assert cards.charge_due() == {"succeeded": 1}
        assert cards.charge_due() == {}
    proforma.refresh_from_db()
    assert proforma.status == "paid"
    assert Payment.objects.filter(invoice=proforma).count() == 1
    assert Checkout.objects.filter(invoice=proforma).count() == 1  # the same checkout again
