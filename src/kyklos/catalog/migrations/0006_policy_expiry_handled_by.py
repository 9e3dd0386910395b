from django.db import migrations, models


def domains_run_their_expiry(apps, schema_editor):
    policy = apps.get_model("catalog", "LifecyclePolicy")
    policy.objects.filter(code="domain").update(expiry_handled_by="domains")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0005_withdrawal_and_foreign_prices"),
    ]

    operations = [
        migrations.AddField(
            model_name="lifecyclepolicy",
            name="expiry_handled_by",
            field=models.CharField(
                blank=True,
                default="",
                help_text=(
                    "The app that suspends and ends these services after expiry (e.g. "
                    "domains); empty: the suspension and termination days above."
                ),
                max_length=40,
            ),
        ),
        migrations.RunPython(domains_run_their_expiry, migrations.RunPython.noop),
    ]
