"""The notices and attachments of the receivables app (registered in ``AppConfig.ready``)."""

from kyklos.notifications import attachments
from kyklos.notifications import events as notice_events

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
        notice_events.register(event, keys, to_billing_email=True)
    attachments.register(FORMAL_NOTICE_PDF, documents.formal_notice_attachment)
