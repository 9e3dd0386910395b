from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kyklos.payments"
    label = "payments"
