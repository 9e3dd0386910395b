"""``log_action``: every state change leaves an audit event.

Models may define ``audit_customer_id`` (a property) so events can be listed per customer.
Batch work uses :func:`log_actions`, one INSERT per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.bulk import insert_many
from kyklos.core.models import AuditEvent

SYSTEM = "system"


def _label(obj: models.Model) -> str:
    return obj._meta.label_lower


def actor_fields(actor: Any) -> dict:
    """``actor`` is a User, a label such as ``"automation"``, or None for the system."""
    user = acting_user(actor)
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
    insert_many(events, batch_size=batch_size)
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
    insert_many(events, batch_size=batch_size)
    return len(events)


# --- staff access to personal data --------------------------------------------------------

#: The action of an audit event that records staff looking at a customer's personal data.
ACCESSED = "personal_data.accessed"
#: Where a caller may say why it looks (API header, or ``?purpose=`` on a page).
PURPOSE_HEADER = "X-Kyklos-Purpose"


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False))


def log_access(
    actor: Any,
    customer_ids: int | Iterable[int | None] | None,
    *,
    what: str,
    why: str = "",
    where: str = "",
    object_type: str = "customers.customer",
    object_id: Any = None,
) -> int:
    """Record that staff user ``actor`` saw personal data of the given customers.

    ``what`` names the data ("customer record", "invoice list"), ``why`` the purpose when
    known, ``where`` the page or endpoint. One event per customer, one INSERT in all;
    nothing is logged for non-staff actors (customers looking at their own data) or when
    no customer is concerned. Returns the number of events written.
    """
    if isinstance(customer_ids, int) or customer_ids is None:
        customer_ids = [customer_ids]
    ids = sorted({int(c) for c in customer_ids if c is not None})
    if not ids or not _is_staff(actor):
        return 0
    data = {"what": what, "why": why[:300], "where": where[:200]}
    return log_action_rows(
        (
            (object_type, customer_id if object_id is None else object_id, customer_id, data)
            for customer_id in ids
        ),
        ACCESSED,
        actor=actor,
    )


def log_request_access(
    request,
    customer_ids,
    *,
    what: str,
    why: str = "",
    object_type: str = "customers.customer",
    object_id: Any = None,
) -> int:
    """:func:`log_access` for a view or API operation: the actor is the request's user
    (``request.auth`` for the API), the purpose comes from ``why``, the
    ``X-Kyklos-Purpose`` header or a ``purpose`` query parameter, and ``where`` is the
    request's method and path."""
    actor = getattr(request, "auth", None) or getattr(request, "user", None)
    purpose = why or request.headers.get(PURPOSE_HEADER, "") or request.GET.get("purpose", "")
    return log_access(
        actor,
        customer_ids,
        what=what,
        why=purpose,
        where=f"{request.method} {request.path}",
        object_type=object_type,
        object_id=object_id,
    )


def staff_accesses(customer_id: int):
    """What the provider's staff did with a customer's data, newest first: every view
    (:data:`ACCESSED`) and every change made by a staff user. The customer sees this in
    their access request (category "audit_trail")."""
    return (
        AuditEvent.objects.filter(customer_id=customer_id, actor__is_staff=True)
        .order_by("-at", "-id")
        .values("at", "actor_label", "action", "object_type", "object_id", "data")
    )


def export_access_log(subject) -> Iterable[dict]:
    """Personal-data exporter for :class:`AuditEvent` (category "audit_trail")."""
    if subject.customer_id is None:
        return []
    return [
        {
            "when": row["at"].isoformat(),
            "who": row["actor_label"],
            "what": row["data"].get("what") or row["action"],
            "object": f"{row['object_type']}#{row['object_id']}",
            "why": row["data"].get("why", ""),
        }
        for row in staff_accesses(subject.customer_id)
    ]
