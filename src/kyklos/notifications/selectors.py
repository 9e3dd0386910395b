"""Reads of the outbox."""

from datetime import date

from django.db.models import QuerySet

from kyklos.notifications import events
from kyklos.notifications.models import Outbox

#: Whether a notice event is registered, and the context keys it needs (the catalogue in
#: ``notifications.events``, offered to other apps here).
is_known_event = events.is_known
required_keys = events.required_keys


def due_notices(day: date) -> QuerySet[Outbox]:
    """Queued notices whose day has come, oldest first."""
    return Outbox.objects.filter(status=Outbox.Status.QUEUED, for_date__lte=day).order_by("pk")


def queued_count() -> int:
    """Notices still waiting, whatever their day."""
    return Outbox.objects.filter(status=Outbox.Status.QUEUED).count()


def next_ids(notices: QuerySet[Outbox], *, after: int, size: int) -> list[int]:
    """The next ``size`` ids of ``notices`` after ``after``: one small query per batch."""
    return list(notices.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:size])
