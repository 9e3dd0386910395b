from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kyklos.api"
    label = "api"

    def ready(self) -> None:
        from kyklos.api import personal_data

        personal_data.register()
