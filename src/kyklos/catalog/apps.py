from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kyklos.catalog"
    label = "catalog"

    def ready(self) -> None:
        from kyklos.catalog import personal_data

        personal_data.register()
