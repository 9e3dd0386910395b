from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "kyklos.lifecycle"
    label = "lifecycle"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.lifecycle import selectors, services
        from kyklos.payments import services as payments

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.apply_paid_renewals(invoice, actor=actor)
            services.apply_paid_plan_changes(invoice, actor=actor)

        def on_identity_check_decided(sender, invoice, verified, actor=None, **kwargs):
            services.release_identity_hold(invoice, verified=verified, actor=actor)

        def on_refund_issued(sender, service_ids, actor=None, **kwargs):
            services.end_refunded(service_ids, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="lifecycle.renew")
        hooks.refund_issued.connect(on_refund_issued, weak=False, dispatch_uid="lifecycle.refund")
        payments.register_services_provider(selectors.billed_services)
        hooks.identity_check_decided.connect(
            on_identity_check_decided, weak=False, dispatch_uid="lifecycle.identity"
        )
