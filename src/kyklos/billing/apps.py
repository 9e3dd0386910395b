from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kyklos.billing"
    label = "billing"

    def ready(self) -> None:
        from kyklos.billing import notices

        notices.register_events()

        from kyklos.billing import personal_data

        personal_data.register()
