"""``log_action``: every state change leaves an audit event.

Models may define ``audit_customer_id`` (a property) so events can be listed per customer.
Batch work uses :func:`log_actions`, one INSERT per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from kyklos.core import clock
from kyklos.core.models import AuditEvent

SYSTEM = "system"


def _label(obj: models.Model) -> str:
    return obj._meta.label_lower


def actor_fields(actor: Any) -> dict:
    """``actor`` is a User, a label such as ``"automation"``, or None for the system."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else (actor if isinstance(actor, str) else SYSTEM)
    return {"actor": user, "actor_label": label}


def _event(obj, action, actor, data, at) -> AuditEvent:
    return AuditEvent(
        at=at,
        **actor_fields(actor),
        action=action,
        object_type=_label(obj),
        object_id=str(obj.pk),
        customer_id=getattr(obj, "audit_customer_id", None),
        data=data or {},
    )


def log_action(
    obj: models.Model, action: str, *, actor: Any = None, data: dict | None = None
) -> AuditEvent:
    """Record ``action`` on ``obj``. ``actor`` is a User, a label such as
    ``"automation"``, or None for the system."""
    event = _event(obj, action, actor, data, clock.now())
    event.save()
    return event


def log_actions(
    items: Iterable[tuple[models.Model, dict | None]],
    action: str,
    *,
    actor: Any = None,
    batch_size: int = 2000,
) -> int:
    """Record the same ``action`` on many objects with one INSERT per batch."""
    at = clock.now()
    events = [_event(obj, action, actor, data, at) for obj, data in items]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


def log_action_rows(
    rows: Iterable[tuple[str, Any, int | None, dict | None]],
    action: str,
    *,
    actor: Any = None,
    batch_size: int = 2000,
) -> int:
    """Bulk variant for set-based code that holds ids rather than instances:
    ``rows`` are ``(object_type, object_id, customer_id, data)``."""
    at = clock.now()
    who = actor_fields(actor)
    events = [
        AuditEvent(
            at=at,
            **who,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            customer_id=customer_id,
            data=data or {},
        )
        for object_type, object_id, customer_id, data in rows
    ]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)
