"""The lifecycle policies Kyklos ships, one per product type (R3.2–R3.8).

Migration ``catalog 0002`` seeds them; staff change them in the admin afterwards. A
policy's ``code`` is its product type's value. Amounts are EUR, excluding VAT.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from kyklos.catalog.models import ProductType

#: R3.2–R3.7 defaults every policy starts from.
BASE_POLICY = {
    "lead_days_monthly": 5,
    "lead_days_quarterly": 14,
    "lead_days_semiannual": 14,
    "lead_days_annual": 30,
    "lead_days_biennial": 30,
    "reminder_offsets": [7, 1, 0],
    "warning_offsets": [30, 7],
    "suspend_after_days": 0,
    "terminate_after_days": 30,
    "restore_fee": Decimal("0.00"),
    "reactivation_fee": Decimal("0.00"),
    "auto_reactivate": True,
    "cancel_days_before_month_end": None,
    "warn_late_fees": False,
    "expiry_handled_by": "",
}

#: Where a product type departs from :data:`BASE_POLICY` (R3.5–R3.7).
OVERRIDES: dict[str, dict] = {
    # Files are deleted 30 days after expiry; restoring from backups carries a fee.
    ProductType.SHARED_HOSTING: {"restore_fee": Decimal("25.00")},
    # Cancelled the day after expiry, data wiped; reactivation carries a fee; written
    # cancellation at least 30 days before the end of the month.
    ProductType.DEDICATED_SERVER: {
        "terminate_after_days": 1,
        "reactivation_fee": Decimal("50.00"),
        "cancel_days_before_month_end": 30,
    },
    # Late renewal in grace or redemption carries extra charges (R4.4).
    # Expiry is the domains app's: grace, redemption, release per TLD (R4.2-R4.4).
    ProductType.DOMAIN: {"warn_late_fees": True, "expiry_handled_by": "domains"},
    # Management stops at expiry; a restart carries a new setup fee.
    ProductType.SOCIAL_MEDIA: {"terminate_after_days": 0, "reactivation_fee": Decimal("100.00")},
    ProductType.ADS: {"terminate_after_days": 0, "reactivation_fee": Decimal("100.00")},
}

#: Names of the seeded policies (data, edited by staff; not translated).
POLICY_NAMES = {
    ProductType.SHARED_HOSTING: "Shared hosting",
    ProductType.EMAIL_HOSTING: "E-mail hosting",
    ProductType.DOMAIN: "Domain registration",
    ProductType.SSL: "SSL certificate",
    ProductType.DEDICATED_SERVER: "Dedicated server",
    ProductType.WEB_DEVELOPMENT: "Website development",
    ProductType.MAINTENANCE: "Maintenance retainer",
    ProductType.SOCIAL_MEDIA: "Social-media management",
    ProductType.ADS: "Ads management",
    ProductType.SEO: "SEO",
    ProductType.IPTV: "Set-top-box subscription",
    ProductType.CHAT_SAAS: "Chat-plugin SaaS plan",
    ProductType.SUPPORT_PACKAGE: "Support package",
    ProductType.ADDON: "Add-on",
}

#: One dict of LifecyclePolicy fields per product type.
DEFAULT_POLICIES: list[dict] = [
    {
        **BASE_POLICY,
        "code": str(product_type.value),
        "name": POLICY_NAMES[product_type],
        **OVERRIDES.get(product_type, {}),
    }
    for product_type in ProductType
]

#: Product types covered by the 30-day money-back guarantee (R6.9); the default of
#: ``Product.refundable`` when a product is created.
REFUNDABLE_TYPES = frozenset(
    {
        ProductType.SHARED_HOSTING,
        ProductType.EMAIL_HOSTING,
        ProductType.WEB_DEVELOPMENT,
        ProductType.MAINTENANCE,
    }
)


def seed_policies(policy_model) -> int:
    """Create or reset the default policies by code; idempotent. ``policy_model`` is
    ``LifecyclePolicy`` or its historical version in a migration."""
    known = {field.name for field in policy_model._meta.fields}
    for policy in copy.deepcopy(DEFAULT_POLICIES):
        values = {key: value for key, value in policy.items() if key in known and key != "code"}
        policy_model.objects.update_or_create(code=policy["code"], defaults=values)
    return len(DEFAULT_POLICIES)
