"""The notices and attachments of the projects app."""

from kyklos.notifications import services as notifications

QUOTE_SENT = "quote_sent"
ESTIMATE_SENT = "estimate_sent"
QUOTE_ACCEPTED = "quote_accepted"
VARIATION_PROPOSED = "variation_proposed"
PROJECT_COMPLETED = "project_completed"
RATE_RISE_ANNOUNCED = "rate_rise_announced"
DELIVERABLE_SENT = "deliverable_sent"

QUOTE_PDF = "quote_pdf"

_QUOTE = ("customer_name", "quote_number", "quote_title")
REQUIRED_KEYS = {
    QUOTE_SENT: (*_QUOTE, "version", "total", "currency", "valid_until", "reply_to", "sla_version"),
    ESTIMATE_SENT: (*_QUOTE, "version", "total", "currency"),
    QUOTE_ACCEPTED: (*_QUOTE, "project_number", "version"),
    VARIATION_PROPOSED: (
        "customer_name",
        "project_number",
        "variation",
        "kind",
        "description",
        "amount",
        "currency",
    ),
    PROJECT_COMPLETED: ("customer_name", "project_number", "project_title", "transferred_on"),
    RATE_RISE_ANNOUNCED: ("customer_name", "effective_on", "currency", "rates"),
    DELIVERABLE_SENT: ("customer_name", "project_number", "deliverable", "title"),
}


def register() -> None:
    from kyklos.projects import documents

    for event, keys in REQUIRED_KEYS.items():
        notifications.register_event(event, keys)
    notifications.register_attachment(QUOTE_PDF, documents.quote_attachment)
