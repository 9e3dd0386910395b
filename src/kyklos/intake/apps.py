from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kyklos.intake"
    label = "intake"
    verbose_name = "E-mail and contact-form intake"

    def ready(self) -> None:
        from kyklos.core.registry import registry
        from kyklos.intake import personal, services
        from kyklos.notifications import events

        events.register(
            "intake_attachment_refused",
            (
                "customer_name",
                "ticket_number",
                "ticket_subject",
                "subject_tag",
                "files",
                "limit_mb",
            ),
        )
        registry.register_daily_step("intake_purge_quarantine", 900, services.purge_quarantine)
        personal.register()
