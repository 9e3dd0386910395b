from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kyklos.billing"
    label = "billing"
