"""What the data migrations write, again: a transactional test before may have flushed it
(the policies tests.factories.product needs, the standard zone template)."""

from importlib import import_module


def seed_migrated_data() -> None:
    from kyklos.catalog.defaults import seed_policies
    from kyklos.catalog.models import LifecyclePolicy
    from kyklos.dns.models import ZoneTemplate

    seed_policies(LifecyclePolicy)
    standard = import_module("kyklos.dns.migrations.0002_standard_template").STANDARD
    ZoneTemplate.objects.get_or_create(
        name="standard", defaults={"default": True, "records": standard}
    )
