from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "kyklos.customers"
    label = "customers"

    def ready(self) -> None:
        from kyklos.customers import personal_data

        personal_data.register()
