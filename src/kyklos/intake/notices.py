"""The notice intake sends: an e-mail's attachments were refused (too many or too large)."""

from kyklos.notifications import services as notifications

ATTACHMENT_REFUSED = "intake_attachment_refused"


def register() -> None:
    notifications.register_event(
        ATTACHMENT_REFUSED,
        ("customer_name", "ticket_number", "ticket_subject", "subject_tag", "files", "limit_mb"),
    )
