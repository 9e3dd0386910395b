from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kyklos.payments"
    label = "payments"

    def ready(self) -> None:
        from kyklos.payments import personal_data

        personal_data.register()
