from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DomainsConfig(AppConfig):
    name = "kyklos.domains"
    label = "domains"
    verbose_name = _("Domains")

    def ready(self) -> None:
        from kyklos.accounts import roles
        from kyklos.core import hooks

        hooks.services_changed.connect(
            services_changed, weak=False, dispatch_uid="domains.services_changed"
        )
        hooks.invoice_paid.connect(invoice_paid, weak=False, dispatch_uid="domains.invoice_paid")
        hooks.refund_issued.connect(refund_issued, weak=False, dispatch_uid="domains.refund")
        # Technical and support staff look after domains (registry jobs, holds); billing
        # reads them. Registrar accounts and TLD rules are the admin role's.
        roles.grant(roles.TECHNICAL, "domains", "view", "change")
        roles.grant(roles.SUPPORT, "domains", "view", "change")
        roles.grant(roles.BILLING, "domains", "view", "add")  # ordering a registration


def services_changed(sender, ids, to, **kwargs) -> None:
    if to != "active":
        return
    from kyklos.domains import services

    services.services_activated(list(ids), actor=kwargs.get("actor"))


def invoice_paid(sender, invoice, actor=None, **kwargs) -> None:
    from kyklos.domains import services

    services.invoice_paid(invoice, actor=actor)


def refund_issued(sender, service_ids, kind="", actor=None, **kwargs) -> None:
    """A .gr withdrawn within its days (R4.5) is deleted at the registry."""
    if kind != "gr_withdrawal":
        return
    from kyklos.domains import services

    services.withdrawn(list(service_ids), actor=actor)
