"""Refunds (R6.9 money-back in 30 days, R4.5 .gr withdrawal in 5 UTC days): a credit
note and a refund payment record, amounts by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.catalog.models import Price
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Outbox
from kyklos.payments import refunds
from kyklos.payments.models import Direction, Payment, Refund
from kyklos.payments.selectors import credit_balance
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(db):
    return factories.customer(name="Maria Nowak", language="en")


def paid_order(
    customer,
    product_type="shared_hosting",
    *,
    label="maria.gr",
    price="120.00",
    setup="0",
    refundable=True,
    method="bank_transfer",
    reference="",
):
    product = factories.product(product_type, prices={"annual": price}, refundable=refundable)
    Price.objects.filter(product=product).update(setup_fee=Decimal(setup))
    with clock.frozen(date(2027, 4, 1)):
        service = lifecycle.order_service(
            customer=customer, product=product, cycle="annual", label=label
        )
        proforma = service.renewals.get().invoice
        record_payment(proforma, amount=proforma.total, method=method, provider_reference=reference)
    return service, Invoice.objects.get(related=proforma)


def state():
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        Refund.objects.count(),
        AuditEvent.objects.count(),
        list(Service.objects.values_list("state", flat=True)),
    )


def test_money_back_refunds_the_hosting_but_not_the_setup_fee(maria):
    # hosting 120.00 + setup 20.00, VAT 24%: paid 173.60; refund 120.00 + 28.80 = 148.80
    service, receipt = paid_order(maria, setup="20.00")
    assert receipt.total == Decimal("173.60")
    with clock.frozen(date(2027, 4, 20)):
        shown = refunds.quote(receipt)
        assert (shown.net, shown.vat, shown.total) == (
            Decimal("120.00"),
            Decimal("28.80"),
            Decimal("148.80"),
        )
        assert [why for _line, why in shown.kept] == [
            "not refundable (fees, setup or third-party costs)"
        ]
        refund = refunds.issue_refund(receipt, to_credit=True, expected_total=Decimal("148.80"))

    note = refund.credit_note
    assert (note.kind, note.number, note.related, note.total) == (
        DocumentKind.CREDIT_NOTE,
        "CN-2027-000001",
        receipt,
        Decimal("148.80"),
    )
    assert [(ln.net, ln.vat) for ln in note.lines.all()] == [(Decimal("120.00"), Decimal("28.80"))]
    assert (refund.status, refund.payment.direction, refund.payment.amount) == (
        "completed",
        Direction.OUT,
        Decimal("148.80"),
    )
    assert credit_balance(maria.pk, "EUR") == Decimal("148.80")
    service.refresh_from_db()
    assert service.state == State.CANCELLED
    assert Outbox.objects.filter(event="refund_issued").get().context["amount"] == "148.80"


@pytest.mark.parametrize(("day", "allowed"), [(date(2027, 5, 1), True), (date(2027, 5, 2), False)])
def test_money_back_is_within_30_days_of_the_start(maria, day, allowed):
    _service, receipt = paid_order(maria)  # started 2027-04-01
    with clock.frozen(day):
        if allowed:
            assert refunds.issue_refund(receipt, to_credit=True).amount == Decimal("148.80")
        else:
            before = state()
            with pytest.raises(ValidationError, match="more than 30 days|have passed"):
                refunds.issue_refund(receipt, to_credit=True)
            assert state() == before


@pytest.mark.parametrize(
    ("product_type", "refundable"),
    [("domain", False), ("ssl", False), ("dedicated_server", False), ("seo", False)],
)
def test_excluded_products_are_not_refunded(maria, product_type, refundable):
    _service, receipt = paid_order(maria, product_type, refundable=refundable, label="x.com")
    with (
        clock.frozen(date(2027, 4, 5)),
        pytest.raises(ValidationError, match="not covered by the money-back guarantee"),
    ):
        refunds.quote(receipt)


def test_a_renewal_is_not_covered(maria):
    service, receipt = paid_order(maria)
    with clock.frozen(date(2028, 3, 10)):
        renewal = lifecycle.renew_now(service)
        record_payment(renewal, amount=renewal.total, method="manual")
    with (
        clock.frozen(date(2028, 4, 5)),
        pytest.raises(ValidationError, match="renewals are not refundable"),
    ):
        refunds.quote(Invoice.objects.get(related=renewal))


def test_a_refund_shown_at_one_amount_is_not_issued_at_another(maria):
    _service, receipt = paid_order(maria)
    before = state()
    with clock.frozen(date(2027, 4, 5)), pytest.raises(ValidationError, match="now 148.80"):
        refunds.issue_refund(receipt, expected_total=Decimal("173.60"))
    assert state() == before


def test_a_second_refund_of_the_same_order_is_refused(maria):
    _service, receipt = paid_order(maria)
    with clock.frozen(date(2027, 4, 5)):
        refunds.issue_refund(receipt, to_credit=True)
        with pytest.raises(ValidationError, match="Only a paid order|Nothing on"):
            refunds.issue_refund(receipt, to_credit=True)


def test_a_card_payment_is_refunded_through_stripe(maria, localstripe):
    intent = localstripe.api(
        "POST",
        "/v1/payment_intents",
        {"amount": 14880, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True},
    )
    assert intent["status"] == "succeeded"
    _service, receipt = paid_order(maria, method="card", reference=intent["id"])
    with clock.frozen(date(2027, 4, 5)):
        refund = refunds.issue_refund(receipt)
    assert (refund.status, refund.method) == ("completed", "card")
    back = localstripe.api("GET", f"/v1/refunds/{refund.payment.provider_reference}")
    assert (back["amount"], back["payment_intent"]) == (14880, intent["id"])


def test_a_bank_transfer_refund_waits_for_staff_to_pay_it_out(maria, django_user_model):
    staff = django_user_model.objects.create_user("anna", is_staff=True)
    _service, receipt = paid_order(maria)
    with clock.frozen(date(2027, 4, 5)):
        refund = refunds.issue_refund(receipt)
        assert (refund.status, refund.payment) == ("payout_pending", None)
        refunds.mark_paid_out(refund, reference="NBG-OUT-77", actor=staff)
    refund.refresh_from_db()
    assert (refund.status, refund.payment.amount, refund.payment.method) == (
        "completed",
        Decimal("148.80"),
        "bank_transfer",
    )


# --- .gr withdrawal (R4.5) ---------------------------------------------------------------


def gr_order_with_free_bundle(customer, confirmed_at: datetime):
    """A new .gr domain (15.00) with free e-mail hosting bundled (list 10.00, discount
    10.00), paid at ``confirmed_at``."""
    domain = factories.product("domain", prices={"annual": "15.00"})
    mail = factories.product("email_hosting", prices={"annual": "10.00"}, refundable=True)
    with clock.frozen(confirmed_at):
        proforma = issue_document(
            DocumentSpec(
                customer=customer,
                kind=DocumentKind.PROFORMA,
                issued_on=clock.today(),
                lines=[
                    LineSpec(
                        description="akti.gr",
                        unit_price=Decimal("15.00"),
                        product_code=domain.code,
                        period_start=date(2027, 4, 1),
                        period_end=date(2028, 4, 1),
                    ),
                    LineSpec(
                        description="Free e-mail",
                        unit_price=Decimal("10.00"),
                        discount=Decimal("10.00"),
                        product_code=mail.code,
                    ),
                ],
            )
        )
        service = Service.objects.create(
            customer=customer,
            product=domain,
            label="akti.gr",
            cycle="annual",
            state=State.PENDING,
            state_changed_on=date(2027, 4, 1),
            ordered_on=date(2027, 4, 1),
        )
        Renewal.objects.create(
            service=service,
            invoice=proforma,
            period_start=date(2027, 4, 1),
            period_end=date(2028, 4, 1),
            amount=Decimal("15.00"),
            kind=Renewal.Kind.ORDER,
        )
        record_payment(proforma, amount=proforma.total, method="manual")
    service.refresh_from_db()
    return service, Invoice.objects.get(related=proforma)


# 22:30 UTC on 1 April is already 2 April in Athens: the 5 days count in UTC.
CONFIRMED = datetime(2027, 4, 1, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (datetime(2027, 4, 6, 23, 59, tzinfo=UTC), True),  # 02:59 on 7 April in Athens
        (datetime(2027, 4, 7, 0, 30, tzinfo=UTC), False),  # UTC day 6 since confirmation
    ],
)
def test_a_new_gr_domain_can_be_withdrawn_within_5_utc_days(maria, at, allowed):
    service, receipt = gr_order_with_free_bundle(maria, CONFIRMED)
    assert service.state == State.ACTIVE
    with clock.frozen(at):
        if not allowed:
            with pytest.raises(ValidationError, match="5 days"):
                refunds.issue_refund(receipt, kind="gr_withdrawal", to_credit=True)
            return
        shown = refunds.quote(receipt, "gr_withdrawal")
        # 15.00 − 10.00 (the free e-mail's list value) = 5.00, VAT 1.20
        assert (shown.deduction, shown.net, shown.vat, shown.total) == (
            Decimal("10.00"),
            Decimal("5.00"),
            Decimal("1.20"),
            Decimal("6.20"),
        )
        refund = refunds.issue_refund(receipt, kind="gr_withdrawal", to_credit=True)
    assert refund.credit_note.total == Decimal("6.20")
    service.refresh_from_db()
    assert service.state == State.CANCELLED


def test_only_a_gr_domain_can_be_withdrawn(maria):
    _service, receipt = paid_order(
        maria, "domain", label="akti.com", refundable=False, price="12.00"
    )
    with (
        clock.frozen(date(2027, 4, 2)),
        pytest.raises(ValidationError, match="only a new .gr registration can be withdrawn"),
    ):
        refunds.quote(receipt, "gr_withdrawal")
