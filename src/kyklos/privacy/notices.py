"""The notices of the privacy app, declared through ``kyklos.core.messaging`` (this app
imports only core)."""

from kyklos.core import messaging
from kyklos.core import personal_data as pd
from kyklos.privacy import breaches, consent, processor, record, requests


def register() -> None:
    declare = messaging.declare_event
    declare(record.NOTICE_CHANGED, ("customer_name", "version", "notice_url"))
    declare(requests.VERIFY_EVENT, ("request_kind", "verify_url", "hours"))
    declare(requests.RECEIVED_EVENT, ("customer_name", "request_number", "due_on"))
    declare(requests.EXTENDED_EVENT, ("customer_name", "request_number", "extended_to", "reason"))
    declare(requests.ANSWERED_EVENT, ("customer_name", "request_number", "response"))
    declare(requests.STAFF_EVENT, ("request_number", "request_kind", "deadline", "admin_url"))
    declare(
        processor.SUBPROCESSOR_EVENT,
        ("customer_name", "activity", "effective_on", "record_url"),
    )
    declare(breaches.STAFF_EVENT, ("breach_title", "deadline", "admin_url"))
    declare(
        consent.MARKETING_EVENT,
        ("customer_name", "subject_line", "text", "unsubscribe_url"),
        purpose=pd.MARKETING_EMAIL,
    )
