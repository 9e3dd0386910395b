from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "kyklos.projects"
    label = "projects"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.core.personal_data import personal_data
        from kyklos.core.registry import registry
        from kyklos.projects import events, privacy, services
        from kyklos.projects.models import Signature

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.on_invoice_paid(invoice, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="projects.paid")
        events.register()
        registry.register_daily_step("projects.expire_quotes", 70, services.expire_quotes)
        personal_data.register(
            Signature,
            category="sales_leads",
            fields=["signer_name", "signer_email", "ip_address", "user_agent", "source"],
            exporter=privacy.export_signatures,
            eraser=privacy.erase_signatures,
            legal_hold=(
                "Evidence of the contract (R7.1, R7.3): kept while claims can be made, "
                "then anonymised by the retention schedule."
            ),
        )
