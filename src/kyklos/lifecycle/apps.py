from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "kyklos.lifecycle"
    label = "lifecycle"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.lifecycle import daily, personal_data, services

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.apply_paid_renewals(invoice, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="lifecycle.renew")
        daily.register()
        personal_data.register()
