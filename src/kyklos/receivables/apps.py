from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "kyklos.receivables"
    label = "receivables"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.core.registry import registry
        from kyklos.receivables import events, services

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.on_invoice_paid(invoice, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="receivables.paid")
        events.register()
        # After the lifecycle's steps (10–60): its suspensions and terminations first.
        registry.register_daily_step("receivables.run_collections", 80, services.run_collections)
        registry.register_daily_step(
            "receivables.month_end_interest", 90, services.month_end_interest
        )

        from kyklos.core.personal_data import personal_data
        from kyklos.receivables.models import CollectionPolicy

        personal_data.declare_exempt(
            CollectionPolicy, "its name is the name of a dunning schedule, not of a person"
        )
