from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kyklos.intake"
    label = "intake"
    verbose_name = "E-mail and contact-form intake"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.intake import services

        hooks.credential_received.connect(
            services.redact_credential, weak=False, dispatch_uid="intake.redact_credential"
        )
