"""Provisioning's notices to customers: the welcome with a one-time link (R5.5) and the
abuse suspension and its lifting (R5.6), and over-usage (R2.5)."""

from kyklos.notifications import services as notifications

EVENTS = {
    "provisioning_welcome": ("service", "username", "host", "link", "hours"),
    "provisioning_abuse_suspended": ("service", "reason"),
    "provisioning_abuse_lifted": ("service",),
    "provisioning_over_usage": ("service", "measure", "used", "limit"),
}


def register() -> None:
    for event, keys in EVENTS.items():
        notifications.register_event(event, keys)
