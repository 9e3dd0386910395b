from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "kyklos.certificates"
    label = "certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from kyklos.accounts import roles

        # Technical staff confirm organisation validation and retry failed issuance;
        # support reads the certificates to answer customers.
        roles.grant(roles.TECHNICAL, "certificates", "view", "add", "change")
        roles.grant(roles.SUPPORT, "certificates", "view")
