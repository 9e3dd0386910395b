"""The staff roles' groups with their permissions (R10.1); kept up to date after every
migrate by kyklos.accounts.roles.sync_after_migrate."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def seed_roles(apps, schema_editor):
    from kyklos.accounts.roles import sync_groups

    for app_config in apps.get_app_configs():  # permissions exist only after migrate
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
