from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: The modules that ship with Kyklos (registered by importing them).
BUILT_IN_MODULES = ("dovecot", "postgresql", "plesk", "cpanel")


class ProvisioningConfig(AppConfig):
    name = "kyklos.provisioning"
    label = "provisioning"
    verbose_name = _("Provisioning")

    def ready(self) -> None:
        from kyklos.accounts import roles
        from kyklos.core import hooks

        for name in BUILT_IN_MODULES:
            import_module(f"kyklos.provisioning.modules.{name}")
        hooks.services_changed.connect(services_changed, dispatch_uid="provisioning.jobs")
        hooks.service_plan_changed.connect(plan_changed, dispatch_uid="provisioning.plan")
        # Technical staff run the servers and their jobs; support reads them.
        roles.grant(roles.TECHNICAL, "provisioning", "view", "add", "change")
        roles.grant(roles.SUPPORT, "provisioning", "view")


def services_changed(sender, ids, to, previous, day, reason, **kwargs) -> None:
    from kyklos.provisioning import services

    services.services_changed(ids, to, previous, day, reason)


def plan_changed(sender, service, previous_product_id, **kwargs) -> None:
    from kyklos.provisioning import services

    services.service_plan_changed(service, previous_product_id)
