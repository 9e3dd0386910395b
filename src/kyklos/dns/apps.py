from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DnsConfig(AppConfig):
    name = "kyklos.dns"
    label = "dns"
    verbose_name = _("DNS hosting")

    def ready(self) -> None:
        from kyklos.accounts import roles
        from kyklos.core import hooks

        hooks.services_changed.connect(services_changed, dispatch_uid="dns.hosting_zones")
        # Technical staff run the name servers: they edit zones and publish failed ones
        # again; support reads them to answer customers.
        roles.grant(roles.TECHNICAL, "dns", "view", "add", "change")
        roles.grant(roles.SUPPORT, "dns", "view")


def services_changed(sender, ids, to, **kwargs) -> None:
    """A hosting service that starts gets its domain's zone; one that ends loses it."""
    from kyklos.dns import services

    services.hosting_changed(ids, to, actor=kwargs.get("actor"))
