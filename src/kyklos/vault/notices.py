"""The vault's notice: the customer's credentials are ready for handover (R10.3)."""

from kyklos.notifications import services as notifications

EVENT = "vault_handover"


def register() -> None:
    notifications.register_event(EVENT, ("customer_name", "destroy_on"))
