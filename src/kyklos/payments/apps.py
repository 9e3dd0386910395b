from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kyklos.payments"
    label = "payments"
    # The built-in methods (bank transfer, card, PayPal, manual) are registered on the first
    # read of kyklos.payments.methods.registry, not here (decision 0041).
