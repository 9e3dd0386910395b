from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "kyklos.einvoicing"
    label = "einvoicing"
    verbose_name = "National e-invoicing"

    def ready(self) -> None:
        from kyklos.accounts import roles
        from kyklos.core import hooks

        hooks.documents_issued.connect(documents_issued, dispatch_uid="einvoicing.transmissions")
        # Billing staff work the transmissions (billing.Transmission: re-send) and read the
        # channels and attempts; configuring a channel and its credentials is the admin's.
        roles.grant(roles.BILLING, "einvoicing", "view")
        roles.grant(roles.SUPPORT, "einvoicing", "view")


def documents_issued(sender, ids, **kwargs) -> None:
    from kyklos.einvoicing import services

    services.create_transmissions(ids)
