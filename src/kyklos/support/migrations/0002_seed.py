from django.db import migrations

from kyklos.support.defaults import seed


def seed_defaults(apps, schema_editor):
    seed(lambda name: apps.get_model("support", name))


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed_defaults, migrations.RunPython.noop)]
