from django.db import migrations

from kyklos.dns.defaults import seed


def forwards(apps, schema_editor):
    seed(lambda name: apps.get_model("dns", name))


class Migration(migrations.Migration):
    dependencies = [("dns", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
