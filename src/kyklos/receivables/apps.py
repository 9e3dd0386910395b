from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "kyklos.receivables"
    label = "receivables"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.receivables import services

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.on_invoice_paid(invoice, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="receivables.paid")
