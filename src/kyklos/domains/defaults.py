"""The TLD rules Kyklos ships (R4.2–R4.11), seeded by migration ``domains 0002`` and
edited by staff afterwards. Amounts are EUR, excluding VAT.

Each row departs from :data:`BASE` only where the registry differs:

- grace after expiry (R4.2): 29 days for .com/.net/.org/.info, 40 for .eu, 15 for .gr,
  none for many new gTLDs (.shop here);
- redemption (R4.3): about 40 days (30 at most gTLD registries), with a per-TLD fee;
- .gr and .com.gr are sold in 2-year steps only, may be withdrawn within 5 days (R4.5),
  may not be ordered again while an order stays unpaid (R4.10), and gain no extra year
  on a transfer in (R4.8; .eu neither);
- a transfer waits 60 days after a renewal (R4.7) and takes 10 days (.gr: 15);
- a change of registrant is free except for .gr and .com.gr (10.00, billed first).
"""

from __future__ import annotations

from decimal import Decimal

BASE = {
    "terms": [1, 2],
    "grace_days": 29,
    "redemption_days": 30,
    "redemption_fee": Decimal("80.00"),
    "transfer_lock_days": 60,
    "transfer_days": 10,
    "transfer_adds_year": True,
    "recent_renewal_days": 45,
    "withdrawal_days": 0,
    "unpaid_order_limit": None,
    "whois_verification_days": None,
    "restore_supported": True,
    "owner_change_fee": Decimal("0.00"),
}

GR = {
    "terms": [2],
    "grace_days": 15,
    "redemption_days": 40,
    "redemption_fee": Decimal("60.00"),
    "transfer_days": 15,
    "transfer_adds_year": False,
    "withdrawal_days": 5,
    "unpaid_order_limit": 1,
    # A change of registrant (holder) of a .gr is a paid registry act.
    "owner_change_fee": Decimal("10.00"),
}

#: suffix → where it departs from BASE.
TLDS: dict[str, dict] = {
    "gr": GR,
    "com.gr": GR,
    "eu": {
        "terms": [1, 2],
        "grace_days": 40,
        "redemption_days": 40,
        "redemption_fee": Decimal("60.00"),
        "transfer_adds_year": False,
    },
    "com": {"whois_verification_days": 10},
    "net": {"whois_verification_days": 10},
    "org": {"whois_verification_days": 10},
    "info": {"whois_verification_days": 10},
    "cy": {"terms": [1, 2], "grace_days": 30, "redemption_days": 30},
    # A new gTLD: no grace at all, straight to redemption.
    "shop": {
        "grace_days": 0,
        "redemption_days": 30,
        "redemption_fee": Decimal("120.00"),
        "whois_verification_days": 10,
    },
}


def tld_values(suffix: str) -> dict:
    return {**BASE, **TLDS[suffix]}


def product_code(suffix: str) -> str:
    """The catalog product a TLD is priced by, by convention: ``domain-com-gr``."""
    return "domain-" + suffix.replace(".", "-")


def seed_tlds(tld_model, product_model=None) -> int:
    """Create the TLDs that are missing (idempotent; existing rows are staff's). A TLD is
    linked to its product (:func:`product_code`) when the catalog has it. Returns how
    many were created."""
    made = 0
    known = {f.name for f in tld_model._meta.get_fields()}  # an early migration's model
    for suffix in TLDS:
        values = {k: v for k, v in tld_values(suffix).items() if k in known}
        if product_model is not None:
            values["product"] = product_model.objects.filter(code=product_code(suffix)).first()
        _row, created = tld_model.objects.get_or_create(suffix=suffix, defaults=values)
        made += created
    return made
