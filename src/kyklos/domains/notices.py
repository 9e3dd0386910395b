"""Domains' notices: a domain entered grace, redemption, or was released — each states
what renewing late costs (R4.4); a transfer in was refused by the registry (with its
reason) or completed (with the registry's expiry, R4.9)."""

from kyklos.notifications import services as notifications

COST = (
    "domain",
    "expires_on",
    "grace_ends_on",
    "released_on",
    "redemption_fee",
    "redemption_total",
    "currency",
)


def register() -> None:
    notifications.register_event("domain_grace", COST)
    notifications.register_event("domain_redemption", COST)
    notifications.register_event("domain_released", ("domain", "expires_on"))
    notifications.register_event("domain_transfer_refused", ("domain", "reason"))
    notifications.register_event("domain_transferred_in", ("domain", "expires_on"))
