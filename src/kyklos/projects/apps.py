from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "kyklos.projects"
    label = "projects"

    def ready(self) -> None:
        from kyklos.core import hooks
        from kyklos.projects import services

        def on_invoice_paid(sender, invoice, actor=None, **kwargs):
            services.on_invoice_paid(invoice, actor=actor)

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="projects.paid")
