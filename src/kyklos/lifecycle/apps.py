from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "kyklos.lifecycle"
    label = "lifecycle"

    def ready(self) -> None:
        # The receivers import the services when a hook is sent, not at start-up
        # (decision 0041): most commands send none of them.
        from kyklos.core import hooks

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="lifecycle.renew")
        hooks.refund_issued.connect(on_refund_issued, weak=False, dispatch_uid="lifecycle.refund")
        hooks.identity_check_decided.connect(
            on_identity_check_decided, weak=False, dispatch_uid="lifecycle.identity"
        )
        hooks.billed_services.connect(
            on_billed_services, weak=False, dispatch_uid="lifecycle.billed_services"
        )


def on_invoice_paid(sender, invoice, actor=None, **kwargs):
    from kyklos.lifecycle import services

    services.apply_paid_renewals(invoice, actor=actor)
    services.apply_paid_plan_changes(invoice, actor=actor)


def on_identity_check_decided(sender, invoice, verified, actor=None, **kwargs):
    from kyklos.lifecycle import services

    services.release_identity_hold(invoice, verified=verified, actor=actor)


def on_refund_issued(sender, service_ids, actor=None, **kwargs):
    from kyklos.lifecycle import services

    services.end_refunded(service_ids, actor=actor)


def on_billed_services(sender, proforma, **kwargs):
    from kyklos.lifecycle import selectors

    return selectors.billed_services(proforma)
