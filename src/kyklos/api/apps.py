from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kyklos.api"
    label = "api"
