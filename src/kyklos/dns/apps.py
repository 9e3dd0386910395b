from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DnsConfig(AppConfig):
    name = "kyklos.dns"
    label = "dns"
    verbose_name = _("DNS hosting")
