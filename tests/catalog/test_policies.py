"""The lifecycle policies Kyklos ships (R3.2–R3.8), seeded by migration catalog 0002."""

from decimal import Decimal

import pytest

from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import Cycle, LifecyclePolicy, ProductType

pytestmark = pytest.mark.django_db


def test_one_policy_is_seeded_for_every_product_type():
    assert sorted(LifecyclePolicy.objects.values_list("code", flat=True)) == sorted(
        ProductType.values
    )
    assert len(ProductType.values) == 14


@pytest.mark.parametrize("code", ProductType.values)
def test_every_policy_starts_from_the_r3_defaults(code):
    policy = LifecyclePolicy.objects.get(code=code)
    assert [policy.lead_days(cycle) for cycle in Cycle.values] == [5, 14, 14, 30, 30, None]
    assert policy.reminder_offsets == [7, 1, 0]
    assert policy.warning_offsets == [30, 7]
    assert policy.suspend_after_days == 0
    assert policy.auto_reactivate is True
    policy.full_clean()


def values(code):
    policy = LifecyclePolicy.objects.get(code=code)
    return (
        policy.terminate_after_days,
        policy.restore_fee,
        policy.reactivation_fee,
        policy.cancel_days_before_month_end,
    )


def test_shared_hosting_is_deleted_30_days_after_expiry_and_restored_for_a_fee():
    assert values("shared_hosting") == (30, Decimal("25.00"), Decimal("0.00"), None)


def test_dedicated_servers_end_the_day_after_expiry_and_cancel_30_days_before_month_end():
    assert values("dedicated_server") == (1, Decimal("0.00"), Decimal("50.00"), 30)


@pytest.mark.parametrize("code", ["social_media", "ads"])
def test_social_media_and_ads_stop_at_expiry_and_restart_with_a_new_setup_fee(code):
    assert values(code) == (0, Decimal("0.00"), Decimal("100.00"), None)


@pytest.mark.parametrize("code", ["email_hosting", "seo", "iptv", "chat_saas", "addon"])
def test_other_products_terminate_30_days_after_expiry(code):
    assert values(code) == (30, Decimal("0.00"), Decimal("0.00"), None)


def test_seeding_again_resets_the_defaults_without_duplicating():
    LifecyclePolicy.objects.filter(code="ads").update(reactivation_fee=Decimal("1.00"))
    seed_policies(LifecyclePolicy)
    assert LifecyclePolicy.objects.count() == 14
    assert values("ads")[2] == Decimal("100.00")
