"""What the data migrations write, again: a transactional test before may have flushed it
(the policies tests.factories.product needs, the standard zone template)."""

from django.apps import apps


def seed_migrated_data() -> None:
    from kyklos.catalog.defaults import seed_policies
    from kyklos.catalog.models import LifecyclePolicy
    from kyklos.dns import defaults

    seed_policies(LifecyclePolicy)
    defaults.seed(lambda name: apps.get_model("dns", name))
