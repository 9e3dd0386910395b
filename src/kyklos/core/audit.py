"""``log_action``: every state change leaves an audit event.

Models may define ``audit_customer_id`` (a property) so events can be listed per customer.
Batch work uses :func:`log_actions`, one INSERT per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.bulk import insert_many, insert_one
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
    if len(events) == 1:
        # one INSERT on its own: bulk_create would wrap it in a transaction (three
        # round trips for every list a member of staff reads, decisions 0016 and 0040)
        insert_one(events[0])
    else:
        insert_many(events, batch_size=batch_size)
    return len(events)


# --- staff access to personal data --------------------------------------------------------

#: The action of an audit event that records staff looking at a customer's personal data.
ACCESSED = "personal_data.accessed"
#: Where a caller may say why it looks (API header, or ``?purpose=`` on a page).
PURPOSE_HEADER = "X-Kyklos-Purpose"


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_staff", False))


def _storable(text: str, limit: int) -> str:
    """``text`` as it can be stored in an event: without NUL characters or unpaired
    surrogates (a purpose comes from a header or a query), at most ``limit`` long."""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def _context(why: str, where: str) -> dict:
    return {"why": _storable(why, 300), "where": _storable(where, 200)}


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
    data = {"what": what, **_context(why, where)}
    return log_action_rows(
        (
            (object_type, customer_id if object_id is None else object_id, customer_id, data)
            for customer_id in ids
        ),
        ACCESSED,
        actor=actor,
    )


#: The ``object_id`` of an access event for a list (:func:`log_list_access`).
LIST = "list"


def log_list_access(
    actor: Any,
    model: type[models.Model],
    rows: Iterable[tuple[Any, int | None]],
    *,
    what: str,
    why: str = "",
    where: str = "",
) -> int:
    """Record that staff user ``actor`` saw a list of ``model`` rows: ONE event, however
    long the list (decision 0016).

    ``rows`` are ``(pk, customer id)`` of the rows shown. The event's ``data["shown"]``
    maps each customer's id (as text) to the pks of their rows, so each customer's access
    log finds it (:func:`staff_accesses`); its ``customer_id`` is that customer's when the
    list showed only one, else empty. Nothing is logged for non-staff actors or a list
    without customers' rows. Returns the number of events written (0 or 1).
    """
    shown: dict[str, list] = {}
    for pk, customer_id in rows:
        if customer_id is not None:
            shown.setdefault(str(int(customer_id)), []).append(pk)
    if not shown or not _is_staff(actor):
        return 0
    only = int(next(iter(shown))) if len(shown) == 1 else None
    data = {"what": what, **_context(why, where), "shown": shown}
    return log_action_rows([(_label(model), LIST, only, data)], ACCESSED, actor=actor)


def _request_context(request, why: str) -> dict:
    """The actor (``request.auth`` for the API, else the user), the purpose (``why``, the
    ``X-Kyklos-Purpose`` header or a ``purpose`` query parameter) and the request's method
    and path."""
    return {
        "actor": getattr(request, "auth", None) or getattr(request, "user", None),
        "why": why or request.headers.get(PURPOSE_HEADER, "") or request.GET.get("purpose", ""),
        "where": f"{request.method} {request.path}",
    }


def log_request_access(
    request,
    customer_ids,
    *,
    what: str,
    why: str = "",
    object_type: str = "customers.customer",
    object_id: Any = None,
) -> int:
    """:func:`log_access` for a view or API operation (see :func:`_request_context`)."""
    context = _request_context(request, why)
    return log_access(
        context.pop("actor"),
        customer_ids,
        what=what,
        object_type=object_type,
        object_id=object_id,
        **context,
    )


def log_request_list_access(
    request, model: type[models.Model], rows: Iterable[tuple[Any, int | None]], *, what: str
) -> int:
    """:func:`log_list_access` for a view or API operation (see :func:`_request_context`)."""
    context = _request_context(request, "")
    return log_list_access(context.pop("actor"), model, rows, what=what, **context)


def concerning(customer_id: int) -> Q:
    """The audit events about a customer: those with their ``customer_id`` and the
    access events of lists that showed their rows among others'."""
    return Q(customer_id=customer_id) | Q(
        customer_id__isnull=True, action=ACCESSED, data__shown__has_key=str(int(customer_id))
    )


def staff_accesses(customer_id: int):
    """What the provider's staff did with a customer's data, newest first: every view
    (:data:`ACCESSED`, also as part of a list) and every change made by a staff user. The
    customer sees this in their access request (category "audit_trail")."""
    return (
        AuditEvent.objects.filter(concerning(customer_id), actor__is_staff=True)
        .order_by("-at", "-id")
        .values("at", "actor_label", "action", "object_type", "object_id", "data")
    )


def _object(row: dict, customer_id: int) -> str:
    if row["object_id"] == LIST and "shown" in row["data"]:
        mine = row["data"]["shown"].get(str(customer_id), [])
        return f"{row['object_type']}#{','.join(str(pk) for pk in mine)}"
    return f"{row['object_type']}#{row['object_id']}"


def export_access_log(subject) -> Iterable[dict]:
    """Personal-data exporter for :class:`AuditEvent` (category "audit_trail")."""
    if subject.customer_id is None:
        return []
    return [
        {
            "when": row["at"].isoformat(),
            "who": row["actor_label"],
            "what": row["data"].get("what") or row["action"],
            "object": _object(row, subject.customer_id),
            "why": row["data"].get("why", ""),
        }
        for row in staff_accesses(subject.customer_id)
    ]
