from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kyklos.payments"
    label = "payments"

    def ready(self) -> None:
        from kyklos.core.personal_data import personal_data
        from kyklos.notifications import events
        from kyklos.payments import events as payment_events
        from kyklos.payments import models, privacy
        from kyklos.payments.methods import BankTransfer, Manual, registry
        from kyklos.payments.providers.paypal import PayPal
        from kyklos.payments.providers.stripe_card import StripeCard

        for method in (BankTransfer, StripeCard, PayPal, Manual):
            registry.register(method)
        for event, keys in payment_events.EVENTS.items():
            events.register(event, keys)
        hold = "billing records are kept for the tax period (R9.4)"
        personal_data.register(
            models.StatementLine,
            category="tax_records",
            fields=["debtor_name", "debtor_iban", "remittance"],
            exporter=privacy.export_statement_lines,
            eraser=privacy.keep_for_tax_period(models.StatementLine),
            legal_hold=hold,
        )
        personal_data.register(
            models.TransferProof,
            category="tax_records",
            fields=["document", "bank_reference"],
            exporter=privacy.export_proofs,
            eraser=privacy.keep_for_tax_period(models.TransferProof),
            legal_hold=hold,
        )
        personal_data.declare_exempt(
            models.BankStatement, "file_name is the name of the provider's own statement file"
        )
        from kyklos.payments import personal_data as payments_personal_data

        payments_personal_data.register()
