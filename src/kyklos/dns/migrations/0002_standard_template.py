from django.db import migrations

STANDARD = [
    {"name": "@", "type": "A", "ttl": 3600, "content": "{web_ipv4}"},
    {"name": "www", "type": "CNAME", "ttl": 3600, "content": "{zone}"},
    {"name": "@", "type": "MX", "ttl": 3600, "content": "10 {mail_host}"},
    {"name": "@", "type": "TXT", "ttl": 3600, "content": "v=spf1 mx a -all"},
]


def forwards(apps, schema_editor):
    ZoneTemplate = apps.get_model("dns", "ZoneTemplate")
    ZoneTemplate.objects.get_or_create(
        name="standard", defaults={"default": True, "records": STANDARD}
    )


class Migration(migrations.Migration):
    dependencies = [("dns", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
