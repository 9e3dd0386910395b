"""The portal's notices: the invitation of a contact login (R1.2)."""

from kyklos.notifications import services as notifications

EVENTS = {
    "contact_invited": (
        "customer_name",
        "account_name",
        "invited_by",
        "access",
        "link",
        "expires_on",
    ),
}


def register() -> None:
    for event, keys in EVENTS.items():
        notifications.register_event(event, keys)
