from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kyklos.payments"
    label = "payments"

    def ready(self) -> None:
        from kyklos.payments.methods import BankTransfer, Manual, registry
        from kyklos.payments.providers.paypal import PayPal
        from kyklos.payments.providers.stripe_card import StripeCard

        for method in (BankTransfer, StripeCard, PayPal, Manual):
            registry.register(method)
