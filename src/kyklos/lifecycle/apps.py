from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "kyklos.lifecycle"
    label = "lifecycle"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.lifecycle import daily, services

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.apply_paid_renewals(invoice, actor=actor)

        def on_identity_check_decided(sender, invoice, verified, actor=None, **kwargs):
            services.release_identity_hold(invoice, verified=verified, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="lifecycle.renew")
        hooks.identity_check_decided.connect(
            on_identity_check_decided, weak=False, dispatch_uid="lifecycle.identity"
        )
        daily.register()
