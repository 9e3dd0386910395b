from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "kyklos.notifications"
    label = "notifications"

    def ready(self) -> None:
        from kyklos.core import messaging
        from kyklos.notifications.port import OutboxPort

        checks.register(check_notice_templates, checks.Tags.templates)
        messaging.connect(OutboxPort())


def check_notice_templates(app_configs=None, **kwargs):
    """``notifications.E001``/``E002`` (:mod:`kyklos.notifications.checks`, imported when the
    checks run: it loads the template engine and every app's notice events)."""
    from kyklos.notifications.checks import check_notice_templates as check

    return check(app_configs, **kwargs)
