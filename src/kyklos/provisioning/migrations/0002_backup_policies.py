"""R5.2 as data: daily backups kept 14 days, a monthly one on the 15th kept one year."""

from django.db import migrations

from kyklos.provisioning.defaults import seed


def seed_policies(apps, schema_editor):
    seed(lambda name: apps.get_model("provisioning", name))


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0001_initial")]

    operations = [migrations.RunPython(seed_policies, migrations.RunPython.noop)]
