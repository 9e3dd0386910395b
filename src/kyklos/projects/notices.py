"""The notices and attachments of the projects app."""

from kyklos.notifications import services as notifications

QUOTE_SENT = "quote_sent"
QUOTE_ACCEPTED = "quote_accepted"
VARIATION_PROPOSED = "variation_proposed"
PROJECT_COMPLETED = "project_completed"
DELIVERABLE_SENT = "deliverable_sent"

QUOTE_PDF = "quote_pdf"

_QUOTE = ("customer_name", "quote_number", "quote_title")
REQUIRED_KEYS = {
    QUOTE_SENT: (*_QUOTE, "version", "total", "currency", "valid_until", "reply_to"),
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
    DELIVERABLE_SENT: ("customer_name", "project_number", "deliverable", "title"),
}


def register() -> None:
    from kyklos.projects import documents

    for event, keys in REQUIRED_KEYS.items():
        notifications.register_event(event, keys)
    notifications.register_attachment(QUOTE_PDF, documents.quote_attachment)
