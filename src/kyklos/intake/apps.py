from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kyklos.intake"
    label = "intake"
    verbose_name = "E-mail and contact-form intake"

    def ready(self) -> None:
        from kyklos.core import hooks

        hooks.credential_received.connect(
            redact_credential, weak=False, dispatch_uid="intake.redact_credential"
        )


def redact_credential(sender, **kwargs):
    # The services are imported when the vault stores a credential (decision 0041).
    from kyklos.intake import services

    return services.redact_credential(sender, **kwargs)
