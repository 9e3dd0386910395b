from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Privacy by construction (R9). Imports only ``kyklos.core``: other apps' data is
    reached through ``core.personal_data`` and the outbox through ``core.messaging``."""

    name = "kyklos.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kyklos.core import messaging
        from kyklos.core import personal_data as pd
        from kyklos.privacy import (
            breaches,
            consent,
            daily,
            personal_data,
            record,
            requests,
            signals,  # noqa: F401  (a changed record publishes a version)
        )

        post_migrate.connect(signals.publish_after_migrate, sender=self)
        pd.personal_data.set_processing_check(consent.may_process)
        personal_data.register()
        daily.register()
        declare = messaging.declare_event
        declare(record.NOTICE_CHANGED, ("customer_name", "version", "notice_url"))
        declare(requests.VERIFY_EVENT, ("request_kind", "verify_url", "hours"))
        declare(requests.RECEIVED_EVENT, ("customer_name", "request_number", "due_on"))
        declare(
            requests.EXTENDED_EVENT, ("customer_name", "request_number", "extended_to", "reason")
        )
        declare(requests.ANSWERED_EVENT, ("customer_name", "request_number", "response"))
        declare(requests.STAFF_EVENT, ("request_number", "request_kind", "deadline", "admin_url"))
        declare(breaches.STAFF_EVENT, ("breach_title", "deadline", "admin_url"))
        declare(
            consent.MARKETING_EVENT,
            ("customer_name", "subject_line", "text", "unsubscribe_url"),
            purpose=pd.MARKETING_EMAIL,
        )
