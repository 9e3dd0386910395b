"""A change of the record of processing publishes a new notice version once it commits."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from kyklos.privacy.models import DataCategory, ProcessingActivity, Recipient, RetentionRule

RECORD_MODELS = (DataCategory, RetentionRule, Recipient, ProcessingActivity)


@receiver(post_save)
@receiver(post_delete)
def _record_changed(sender, raw=False, **kwargs):
    if sender in RECORD_MODELS and not raw:
        from kyklos.privacy import record  # when the record changes (decision 0041)

        record.schedule_publish()


@receiver(m2m_changed, sender=ProcessingActivity.categories.through)
@receiver(m2m_changed, sender=ProcessingActivity.recipients.through)
def _links_changed(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        from kyklos.privacy import record

        record.schedule_publish()


def publish_after_migrate(sender, app_config=None, using="default", **kwargs):
    """The seeded record (and any record changed by a migration) is published as soon as
    the database is migrated: the notice has a version from the start. After a flush
    (``kyklos demo --reset``) the record that the migration seeds is put back first."""
    if app_config is None or app_config.label != "privacy":
        return
    from kyklos.privacy import record

    if not DataCategory.objects.using(using).exists():
        from importlib import import_module

        from django.apps import apps

        import_module("kyklos.privacy.migrations.0002_seed_record").seed(apps, None)
        import_module("kyklos.privacy.migrations.0004_seed_processor").seed(apps, None)
    record.publish_if_changed()
