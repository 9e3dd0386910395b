"""Coupons: first purchase only, never on renewals, within their window and uses (R2.4)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kyklos.catalog import services
from kyklos.catalog.models import Coupon
from kyklos.core.models import AuditEvent

pytestmark = pytest.mark.django_db

DAY = date(2027, 3, 10)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hosting():
    return services.create_product(
        code="web",
        type="shared_hosting",
        name="Web",
        prices={"annual": "99.99"},
        valid_from=date(2027, 1, 1),
    )


@pytest.fixture
def domain():
    return services.create_product(
        code="gr-domain",
        type="domain",
        name=".gr domain",
        prices={"annual": "15"},
        valid_from=date(2027, 1, 1),
    )


def coupon(**fields):
    values = {"code": "SPRING", "valid_from": date(2027, 3, 1), "valid_until": date(2027, 3, 31)}
    values.update(fields)
    return Coupon.objects.create(**values)


def discount(c, product, amount="99.99", day=DAY, first=True):
    return services.coupon_discount(
        c, product=product, amount=Decimal(amount), day=day, is_first_purchase=first
    )


def test_a_percentage_is_rounded_to_cents(hosting):
    assert discount(coupon(percent_off=Decimal("10")), hosting) == Decimal("10.00")  # 9.999
    assert discount(coupon(code="THIRD", percent_off=Decimal("33.33")), hosting, "10.00") == (
        Decimal("3.33")
    )


def test_a_fixed_amount_never_exceeds_the_price(hosting):
    assert discount(coupon(amount_off=Decimal("15.00")), hosting) == Decimal("15.00")
    assert discount(coupon(code="BIG", amount_off=Decimal("150.00")), hosting) == (Decimal("99.99"))
    assert discount(coupon(code="ALL", percent_off=Decimal("100")), hosting, "12.34") == (
        Decimal("12.34")
    )


def test_renewals_get_no_discount(hosting):
    assert discount(coupon(percent_off=Decimal("50")), hosting, first=False) == Decimal("0.00")


def test_the_window_is_inclusive_and_outside_it_the_coupon_is_refused(hosting):
    spring = coupon(percent_off=Decimal("10"))
    assert discount(spring, hosting, day=date(2027, 3, 1)) == Decimal("10.00")
    assert discount(spring, hosting, day=date(2027, 3, 31)) == Decimal("10.00")
    with pytest.raises(ValidationError) as expired:
        discount(spring, hosting, day=date(2027, 4, 1))
    assert expired.value.message_dict == {"coupon": ["The coupon SPRING expired on 2027-03-31."]}
    with pytest.raises(ValidationError) as early:
        discount(spring, hosting, day=date(2027, 2, 28))
    assert early.value.message_dict == {"coupon": ["The coupon SPRING is valid from 2027-03-01."]}


def test_an_open_ended_coupon_has_no_expiry(hosting):
    forever = coupon(percent_off=Decimal("5"), valid_until=None)
    assert discount(forever, hosting, day=date(2035, 1, 1)) == Decimal("5.00")


def test_a_coupon_restricted_to_domains_is_refused_on_hosting(hosting, domain):
    free_domain = coupon(code="FREEDOMAIN", percent_off=Decimal("100"))
    free_domain.products.add(domain)
    assert discount(free_domain, domain, "15.00") == Decimal("15.00")
    with pytest.raises(ValidationError) as refused:
        discount(free_domain, hosting)
    assert refused.value.message_dict == {"coupon": ["The coupon FREEDOMAIN is not valid for Web."]}


def test_redeeming_counts_uses_until_the_coupon_is_used_up(hosting):
    twice = coupon(amount_off=Decimal("5"), max_uses=2)
    services.redeem_coupon(twice)
    services.redeem_coupon(twice)
    assert twice.times_used == 2
    with pytest.raises(ValidationError) as used_up:
        discount(twice, hosting)
    assert used_up.value.message_dict == {"coupon": ["The coupon SPRING has been used up."]}
    with pytest.raises(ValidationError):
        services.redeem_coupon(twice)
    twice.refresh_from_db()
    assert twice.times_used == 2
    assert AuditEvent.objects.filter(action="coupon.redeemed").count() == 2


def test_redeeming_counts_in_the_database_not_from_a_stale_copy(hosting):
    once = coupon(amount_off=Decimal("5"), max_uses=1)
    stale = Coupon.objects.get(pk=once.pk)
    services.redeem_coupon(once)
    with pytest.raises(ValidationError):
        services.redeem_coupon(stale)  # another order held the old count
    once.refresh_from_db()
    assert once.times_used == 1


def test_a_negative_amount_is_refused(hosting):
    with pytest.raises(ValidationError):
        discount(coupon(percent_off=Decimal("10")), hosting, "-1.00")
