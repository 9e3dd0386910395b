from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "kyklos.support"
    label = "support"
    verbose_name = "Support desk"

    def ready(self) -> None:
        from kyklos.support import daily, personal
        from kyklos.support.notices import register_events

        register_events()
        daily.register()
        personal.register()
