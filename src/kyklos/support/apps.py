from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "kyklos.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.support.services import redaction

        hooks.credential_received.connect(
            redaction.redact_credential, weak=False, dispatch_uid="support.redact_credential"
        )
        hooks.credential_source.connect(
            redaction.describe_message, weak=False, dispatch_uid="support.describe_message"
        )
