"""Method fees as surcharge lines (R6.4): card 2%, PayPal 2.4%, card over €500 +1%.

Amounts by hand: a line's VAT is 24% of its rounded net, rounded half up.
"""

from decimal import Decimal

import pytest

from kyklos.payments import fees
from kyklos.payments.services import record_payment
from tests.payments.conftest import proforma_for

pytestmark = pytest.mark.django_db


def fee_lines(invoice):
    return [
        (ln.description, ln.net, ln.vat, ln.total)
        for ln in invoice.lines.all()
        if ln.product_code.startswith("payment-fee:")
    ]


@pytest.mark.parametrize(
    ("method", "fee", "to_pay"),
    [
        # 2% of 120.00 = 2.40, VAT 0.576 → 0.58
        ("card", "2.98", "151.78"),
        # 2.4% of 120.00 = 2.88, VAT 0.6912 → 0.69
        ("paypal", "3.57", "152.37"),
        ("bank_transfer", "0", "148.80"),
    ],
)
def test_quote_per_method(proforma, method, fee, to_pay):
    quote = fees.quote(proforma, method)
    assert quote.amount_before_fees == Decimal("148.80")
    assert quote.fee_total == Decimal(fee)
    assert quote.amount_to_pay == Decimal(to_pay)


def test_a_card_payment_over_500_carries_the_extra_fee(company, today):
    # 450.00 + 24% = 558.00 > 500: 2% = 9.00 (+2.16), extra 1% = 4.50 (+1.08)
    invoice = proforma_for(company, "450.00")
    quote = fees.quote(invoice, "card")
    assert [(ln.percent, ln.net, ln.vat) for ln in quote.lines] == [
        (Decimal("2.00"), Decimal("9.00"), Decimal("2.16")),
        (Decimal("1.00"), Decimal("4.50"), Decimal("1.08")),
    ]
    assert quote.amount_to_pay == Decimal("574.74")
    # PayPal has no threshold: 2.4% of 450 = 10.80, VAT 2.592 → 2.59
    assert fees.quote(invoice, "paypal").amount_to_pay == Decimal("571.39")


@pytest.mark.parametrize(
    ("net", "to_pay"),
    [
        # 403.22 + 96.77 = 499.99, not over 500: 2% = 8.06 + 1.93
        ("403.22", "509.98"),
        # 403.23 + 96.78 = 500.01: 2% = 8.06 + 1.93, 1% = 4.03 + 0.97
        ("403.23", "515.00"),
    ],
)
def test_the_threshold_is_more_than_500(company, today, net, to_pay):
    assert fees.quote(proforma_for(company, net), "card").amount_to_pay == Decimal(to_pay)


def test_the_fee_lines_are_issued_as_a_proforma_of_their_own(proforma, today):
    quote, card = fees.issue_fee_document(proforma, "card")
    assert quote.amount_to_pay == Decimal("151.78")
    assert (card.kind, card.number, card.total) == ("proforma", "PRO-2027-000002", Decimal("2.98"))
    assert fee_lines(card) == [
        (
            "Card payment fee (2%), for PRO-2027-000001",
            Decimal("2.40"),
            Decimal("0.58"),
            Decimal("2.98"),
        )
    ]
    proforma.refresh_from_db()
    assert proforma.total == Decimal("148.80")  # the issued proforma is never edited


def test_choosing_another_method_cancels_the_open_fee_proforma(proforma, today):
    from kyklos.payments.models import Checkout

    def started(method):
        _quote, document = fees.issue_fee_document(proforma, method)
        Checkout.objects.create(
            invoice=proforma,
            customer=proforma.customer,
            method=method,
            fee_invoice=document,
            amount=Decimal("1"),
            currency="EUR",
            created_at=proforma.created_at,
        )
        return document

    card = started("card")
    paypal = started("paypal")
    card.refresh_from_db()
    assert (card.status, paypal.total) == ("cancelled", Decimal("3.57"))
    assert fees.cancel_fee_documents(proforma) == 1
    paypal.refresh_from_db()
    assert paypal.status == "cancelled"
    assert fees.issue_fee_document(proforma, "bank_transfer")[1] is None


def test_the_fee_is_on_what_is_still_owed(proforma, today):
    record_payment(proforma, amount="24.80", method="bank_transfer")
    # owed 124.00 of 148.80, net part 124.00 × 120/148.80 = 100.00: 2% = 2.00 + 0.48
    quote, document = fees.issue_fee_document(proforma, "card")
    assert (quote.amount_to_pay, document.total) == (Decimal("126.48"), Decimal("2.48"))


def test_fees_are_data_staff_can_change(proforma):
    from kyklos.payments.models import MethodFee

    MethodFee.objects.filter(method="card").update(percent=Decimal("0"))
    assert fees.quote(proforma, "card").amount_to_pay == Decimal("148.80")
