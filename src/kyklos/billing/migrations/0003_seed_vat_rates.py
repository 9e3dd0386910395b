"""The standard VAT rates of the 27 member states, with the changes since 2020 (R6.3).

A rate change is a new row from its date; documents of earlier days keep their rate.
Later changes are added as rows by staff (admin) or by a new data migration.
"""

from decimal import Decimal

from django.db import migrations

from kyklos.billing.rate_data import RATES, SOURCE


def seed(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    VatRate.objects.bulk_create(
        VatRate(country=country, rate=Decimal(rate), valid_from=day, source=SOURCE)
        for country, rate, day in RATES
    )


def unseed(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    VatRate.objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_documents_vat_transmissions")]

    operations = [migrations.RunPython(seed, unseed)]
