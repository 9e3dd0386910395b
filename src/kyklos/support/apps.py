from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "kyklos.support"
    label = "support"
    verbose_name = "Support desk"
