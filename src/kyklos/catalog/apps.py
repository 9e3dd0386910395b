from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kyklos.catalog"
    label = "catalog"
