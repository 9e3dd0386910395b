"""Seed one lifecycle policy per product type with the defaults of R3 (idempotent)."""

from django.db import migrations

from kyklos.catalog.defaults import seed_policies


def seed(apps, schema_editor):
    seed_policies(apps.get_model("catalog", "LifecyclePolicy"))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
