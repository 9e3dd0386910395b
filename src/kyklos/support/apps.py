from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "kyklos.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        from kyklos.core import hooks

        hooks.credential_received.connect(
            redact_credential, weak=False, dispatch_uid="support.redact_credential"
        )
        hooks.credential_source.connect(
            describe_message, weak=False, dispatch_uid="support.describe_message"
        )


# The services are imported when the vault asks, not at start-up (decision 0041).


def redact_credential(sender, **kwargs):
    from kyklos.support.services import redaction

    return redaction.redact_credential(sender, **kwargs)


def describe_message(sender, **kwargs):
    from kyklos.support.services import redaction

    return redaction.describe_message(sender, **kwargs)
