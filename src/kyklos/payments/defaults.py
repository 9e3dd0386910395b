"""The payment-method fees Kyklos ships (R6.4); migration ``payments 0002`` seeds them and
staff change them in the admin afterwards.

R6.4 names card 2% and PayPal 2.4%, and says a card payment over €500 "may carry an
extra fee" without a figure: Kyklos ships 1% on top above €500 (decision record 0008).
"""

from decimal import Decimal

DEFAULT_FEES = [
    {"method": "bank_transfer", "percent": Decimal("0.00"), "threshold": None},
    {
        "method": "card",
        "percent": Decimal("2.00"),
        "threshold": Decimal("500.00"),
        "extra_percent": Decimal("1.00"),
    },
    {"method": "paypal", "percent": Decimal("2.40"), "threshold": None},
    {"method": "manual", "percent": Decimal("0.00"), "threshold": None},
]


def seed_fees(fee_model) -> int:
    """Create the default fees where missing; idempotent. ``fee_model`` is ``MethodFee``
    or its historical version in a migration."""
    for fee in DEFAULT_FEES:
        values = {k: v for k, v in fee.items() if k != "method"}
        fee_model.objects.get_or_create(method=fee["method"], defaults=values)
    return len(DEFAULT_FEES)
