from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "kyklos.einvoicing"
    label = "einvoicing"
    verbose_name = "National e-invoicing"
