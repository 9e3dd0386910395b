"""The notices and attachments of the receivables app."""

from kyklos.notifications import services as notifications

COLLECTION_REMINDER = "collection_reminder"
FORMAL_NOTICE = "formal_notice"
FORMAL_NOTICE_PDF = "formal_notice_pdf"

_INVOICE = ("customer_name", "invoice_number", "issued_on", "due_on", "total", "currency")
REQUIRED_KEYS = {
    COLLECTION_REMINDER: (*_INVOICE, "days_overdue", "grace_ends"),
    FORMAL_NOTICE: (*_INVOICE, "pay_by"),
}


def register() -> None:
    from kyklos.receivables import documents

    for event, keys in REQUIRED_KEYS.items():
        # Reminders and notices about invoices go where invoices go (R6.8).
        notifications.register_event(event, keys, to_billing_email=True)
    notifications.register_attachment(FORMAL_NOTICE_PDF, documents.formal_notice_attachment)
