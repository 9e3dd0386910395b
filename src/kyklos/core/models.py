from django.conf import settings
from django.db import models
from django.db.models import Q


class AppendOnlyError(Exception):
    """Audit rows are never changed or deleted through the application."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """An append-only record of a state change or a sensitive read.

    ``customer_id`` names whose data the event concerns (no foreign key: core sits below
    customers), so a customer's access request can list them.

    Rows are inserted with ``seq`` empty; :func:`kyklos.core.audit_chain.seal` later gives
    them their place in the hash chain (``seq``, ``hash``) under a lock, so inserts never
    wait for each other. Nothing else may change a row: the ORM refuses, and a database
    trigger refuses every UPDATE other than sealing and every DELETE (see decision 0013).
    """

    at = models.DateTimeField(db_index=True)
    #: No database constraint and no cascade: deleting a user must not rewrite history
    #: (``actor_label`` keeps the name the user had).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    #: The position in the hash chain, given when the event is sealed.
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    #: SHA-256 of the previous event's hash and this event's content (hex).
    hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="core_audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")


class AuditSeal(models.Model):
    """One sealing run: which chain positions it sealed and the chain's head after it.

    ``kyklos audit verify`` checks every seal against the chain, so deleting the newest
    events (which the chain alone could not notice) is detected too. Append-only."""

    sealed_at = models.DateTimeField()
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"seal {self.first_seq}–{self.last_seq} at {self.sealed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit seals are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit seals are append-only.")
