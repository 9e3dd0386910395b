from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    name = "kyklos.provisioning"
    label = "provisioning"
    verbose_name = _("Provisioning")

    def ready(self) -> None:
        from kyklos.accounts import roles
        from kyklos.core import hooks

        # The built-in modules (kyklos.provisioning.modules) register on the first look-up.
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
