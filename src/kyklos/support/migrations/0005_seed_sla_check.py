from django.db import migrations


def seed_lock(apps, schema_editor):
    apps.get_model("support", "SlaCheck").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    """The single row the SLA check locks (so a check's statements do not vary)."""

    dependencies = [("support", "0004_sla_void")]
    operations = [migrations.RunPython(seed_lock, migrations.RunPython.noop)]
