"""Seed the TLD rules Kyklos ships (``domains.defaults``; idempotent)."""

from django.db import migrations

from kyklos.domains.defaults import seed_tlds


def seed(apps, schema_editor):
    seed_tlds(apps.get_model("domains", "Tld"), apps.get_model("catalog", "Product"))


class Migration(migrations.Migration):

    dependencies = [
        ("domains", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
