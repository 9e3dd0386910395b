from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "kyklos.projects"
    label = "projects"

    def ready(self) -> None:
        from kyklos.core import hooks

        hooks.invoice_paid.connect(on_invoice_paid, weak=False, dispatch_uid="projects.paid")


def on_invoice_paid(sender, invoice, actor=None, **kwargs):
    # The services are imported when a document is paid, not at start-up (decision 0041).
    from kyklos.projects import services

    services.on_invoice_paid(invoice, actor=actor)
