from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kyklos.notifications"
    label = "notifications"

    def ready(self) -> None:
        from kyklos.core import messaging
        from kyklos.notifications import checks  # noqa: F401  (registers the system checks)
        from kyklos.notifications.port import OutboxPort

        messaging.connect(OutboxPort())
