"""R5.2 as data: daily backups kept 14 days, a monthly one on the 15th kept one year."""

from django.db import migrations

POLICIES = [
    {"code": "daily", "every": "day", "day_of_month": None, "keep_days": 14},
    {"code": "monthly", "every": "month", "day_of_month": 15, "keep_days": 365},
]


def seed(apps, schema_editor):
    policy = apps.get_model("provisioning", "BackupPolicy")
    for row in POLICIES:
        policy.objects.get_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
