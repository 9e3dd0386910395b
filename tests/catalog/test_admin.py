"""Staff maintain policies, products, prices and coupons in the admin."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.catalog import services
from kyklos.catalog.models import Coupon, LifecyclePolicy, Price, Product
from kyklos.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def policy_form(policy, **changes):
    form = {
        field: getattr(policy, field)
        for field in [
            "name",
            "code",
            "lead_days_monthly",
            "lead_days_quarterly",
            "lead_days_semiannual",
            "lead_days_annual",
            "lead_days_biennial",
            "suspend_after_days",
            "terminate_after_days",
            "restore_fee",
            "reactivation_fee",
        ]
    }
    form.update(
        reminder_offsets="7, 1, 0",
        warning_offsets="30, 7",
        auto_reactivate="on",
        cancel_days_before_month_end="",
    )
    form.update(changes)
    return form


def test_staff_edit_a_policy_with_days_as_a_simple_list(admin_client):
    policy = LifecyclePolicy.objects.get(code="seo")
    url = reverse("admin:catalog_lifecyclepolicy_change", args=[policy.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, policy_form(policy, reminder_offsets="0, 3; 10", terminate_after_days=45)
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.reminder_offsets == [10, 3, 0]
    assert policy.terminate_after_days == 45
    event = AuditEvent.objects.get(action="policy.changed")
    assert set(event.data["fields"]) == {"reminder_offsets", "terminate_after_days"}


def test_a_policy_form_refuses_bad_days_and_termination_before_suspension(admin_client):
    policy = LifecyclePolicy.objects.get(code="seo")
    url = reverse("admin:catalog_lifecyclepolicy_change", args=[policy.pk])
    bad_days = admin_client.post(url, policy_form(policy, reminder_offsets="7, soon"))
    assert "Give whole days separated by commas" in bad_days.content.decode()
    backwards = admin_client.post(
        url, policy_form(policy, suspend_after_days=10, terminate_after_days=5)
    )
    assert "Termination cannot come before suspension." in backwards.content.decode()
    policy.refresh_from_db()
    assert (policy.reminder_offsets, policy.terminate_after_days) == ([7, 1, 0], 30)


PRICES = {
    "prices-TOTAL_FORMS": "1",
    "prices-INITIAL_FORMS": "0",
    "prices-MIN_NUM_FORMS": "0",
    "prices-MAX_NUM_FORMS": "1000",
}


def test_staff_add_a_product_with_its_price(admin_client):
    policy = LifecyclePolicy.objects.get(code="ssl")
    response = admin_client.post(
        reverse("admin:catalog_product_add"),
        {
            "code": "ssl-dv",
            "name": "SSL DV",
            "type": "ssl",
            "description": "",
            "is_active": "on",
            "policy": policy.pk,
            **PRICES,
            "prices-0-cycle": "annual",
            "prices-0-amount": "39.00",
            "prices-0-setup_fee": "0",
            "prices-0-valid_from": "2027-01-01",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(code="ssl-dv")
    assert list(product.prices.values_list("cycle", "amount", "valid_from")) == [
        ("annual", Decimal("39.00"), date(2027, 1, 1))
    ]
    assert {e.action for e in AuditEvent.objects.all()} == {"product.created", "product.price_set"}


def test_existing_prices_stay_as_they_were_a_change_is_a_new_dated_row(admin_client):
    product = services.create_product(
        code="web",
        type="shared_hosting",
        name="Web",
        prices={"annual": "60"},
        valid_from=date(2027, 1, 1),
    )
    old = product.prices.get()
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = admin_client.post(
        url,
        {
            "code": "web",
            "name": "Web",
            "type": "shared_hosting",
            "description": "",
            "is_active": "on",
            "refundable": "on",
            "policy": product.policy_id,
            "prices-TOTAL_FORMS": "2",
            "prices-INITIAL_FORMS": "1",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            "prices-0-id": old.pk,
            "prices-0-product": product.pk,
            "prices-0-cycle": "annual",
            "prices-0-amount": "1.00",
            "prices-0-setup_fee": "0",
            "prices-0-valid_from": "2027-01-01",
            "prices-1-cycle": "annual",
            "prices-1-amount": "72.00",
            "prices-1-setup_fee": "0",
            "prices-1-valid_from": "2027-06-01",
        },
    )
    assert response.status_code == 302
    assert sorted(product.prices.values_list("amount", "valid_from")) == [
        (Decimal("60.00"), date(2027, 1, 1)),
        (Decimal("72.00"), date(2027, 6, 1)),
    ]
    assert Price.objects.count() == 2


def test_a_coupon_needs_either_a_percentage_or_an_amount(admin_client):
    url = reverse("admin:catalog_coupon_add")
    form = {"code": "BOTH", "percent_off": "10", "amount_off": "5", "valid_from": "2027-01-01"}
    refused = admin_client.post(url, form)
    assert "Give either a percentage or an amount off, not both." in refused.content.decode()
    assert not Coupon.objects.exists()
    admin_client.post(url, {**form, "amount_off": ""})
    assert Coupon.objects.get().percent_off == Decimal("10.00")


@pytest.mark.parametrize(
    "name",
    [
        "catalog_lifecyclepolicy_changelist",
        "catalog_product_changelist",
        "catalog_coupon_changelist",
        "catalog_product_add",
        "catalog_coupon_add",
        "catalog_lifecyclepolicy_add",
    ],
)
def test_admin_pages_open(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}")).status_code == 200
