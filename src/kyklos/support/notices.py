"""The notices of the support desk and what each needs in its context."""

from kyklos.notifications import services as notifications

_TICKET = ("customer_name", "ticket_number", "ticket_subject", "subject_tag")
#: event → required context keys
EVENTS = {
    # To the customer (or the requester who wrote in).
    "ticket_opened": (*_TICKET, "first_response_due", "resolution_due"),
    "ticket_reply": (*_TICKET, "body"),
    "maintenance": ("customer_name", "title", "starts_at", "downtime_minutes"),
    # R5.3, R5.8, R5.9 (kyklos.support.services.uptime, .catalog_notices).
    "uptime_credit": ("customer_name", "service", "year", "availability", "amount", "currency"),
    "product_withdrawn": ("customer_name", "service", "product", "withdrawn_on", "renews_until"),
    "price_change": ("customer_name", "service", "new_amount", "currency", "effective_on"),
    # To staff.
    "sla_warning": ("ticket_number", "ticket_subject", "target", "due_at", "url"),
    "sla_breach": ("ticket_number", "ticket_subject", "target", "due_at", "url"),
}


def register() -> None:
    for event, keys in EVENTS.items():
        notifications.register_event(event, keys)
