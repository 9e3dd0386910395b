from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kyklos.portal"
    label = "portal"
