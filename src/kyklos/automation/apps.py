from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "kyklos.automation"
    label = "automation"
