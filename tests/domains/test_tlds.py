"""The TLD rules shipped as data (R4.2–R4.11)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.domains.models import Tld

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "suffix, terms, grace, redemption, fee, adds_year, withdrawal, unpaid",
    [
        ("gr", [2], 15, 40, "60.00", False, 5, 1),
        ("com.gr", [2], 15, 40, "60.00", False, 5, 1),
        ("eu", [1, 2], 40, 40, "60.00", False, 0, None),
        ("com", [1, 2], 29, 30, "80.00", True, 0, None),
        ("net", [1, 2], 29, 30, "80.00", True, 0, None),
        ("org", [1, 2], 29, 30, "80.00", True, 0, None),
        ("info", [1, 2], 29, 30, "80.00", True, 0, None),
        ("cy", [1, 2], 30, 30, "80.00", True, 0, None),
        ("shop", [1, 2], 0, 30, "120.00", True, 0, None),
    ],
)
def test_seeded_tld_rules(suffix, terms, grace, redemption, fee, adds_year, withdrawal, unpaid):
    tld = Tld.objects.get(suffix=suffix)
    assert tld.terms == terms
    assert (tld.grace_days, tld.redemption_days) == (grace, redemption)
    assert tld.redemption_fee == Decimal(fee)
    assert tld.transfer_adds_year is adds_year  # R4.8: not .gr, .eu
    assert tld.withdrawal_days == withdrawal  # R4.5
    assert tld.unpaid_order_limit == unpaid  # R4.10
    assert tld.transfer_lock_days == 60  # R4.7


def test_terms_must_be_years_from_one_to_ten():
    tld = Tld.objects.get(suffix="gr")
    for bad in ([], [0], [11], ["2"], "2"):
        tld.terms = bad
        with pytest.raises(ValidationError):
            tld.clean()
