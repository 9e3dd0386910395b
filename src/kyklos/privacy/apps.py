from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Privacy by construction (R9). Imports only ``kyklos.core``: other apps' data is
    reached through ``core.personal_data`` and the outbox through ``core.messaging``."""

    name = "kyklos.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kyklos.privacy import signals  # a changed record publishes a version

        post_migrate.connect(signals.publish_after_migrate, sender=self)
