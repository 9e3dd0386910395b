"""The one way a service changes state (R3.1).

Allowed moves are data (:data:`ALLOWED`); every change is dated on the service and
leaves an audit event. Works on many services at once for the daily run.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.core import hooks
from kyklos.core.audit import log_action_rows
from kyklos.lifecycle.models import Service, State

#: target state → states it may be reached from
ALLOWED: dict[str, frozenset[str]] = {
    State.ACTIVE: frozenset({State.PENDING, State.SUSPENDED, State.TERMINATED}),
    State.SUSPENDED: frozenset({State.ACTIVE}),
    State.TERMINATED: frozenset({State.SUSPENDED}),
    State.CANCELLED: frozenset({State.PENDING, State.ACTIVE, State.SUSPENDED}),
    State.FRAUD: frozenset({State.PENDING, State.ACTIVE, State.SUSPENDED}),
}

AUDIT_TYPE = Service._meta.label_lower


def transition_many(
    service_ids: list[int],
    to: str,
    *,
    day: date,
    reason: str,
    actor: str = "automation",
    extra: dict | None = None,
) -> list[int]:
    """Move those of ``service_ids`` that may reach ``to``; returns the ids moved.

    Three statements whatever the number of services: select, update, audit insert; then
    :data:`kyklos.core.hooks.services_changed` for the apps that act on the servers.
    """
    rows = list(
        Service.objects.filter(pk__in=service_ids, state__in=ALLOWED[to]).values_list(
            "pk", "customer_id", "state"
        )
    )
    if not rows:
        return []
    ids = [pk for pk, _, _ in rows]
    Service.objects.filter(pk__in=ids).update(state=to, state_changed_on=day, **(extra or {}))
    log_action_rows(
        (
            (
                AUDIT_TYPE,
                pk,
                customer_id,
                {"from": old, "to": to, "on": day.isoformat(), "reason": reason},
            )
            for pk, customer_id, old in rows
        ),
        f"service.{to}",
        actor=actor,
    )
    hooks.services_changed.send(
        sender=Service,
        ids=ids,
        to=to,
        previous={pk: old for pk, _, old in rows},
        day=day,
        reason=reason,
        actor=actor,
    )
    return ids


def transition(service: Service, to: str, *, day: date, reason: str, actor=None) -> Service:
    """Move one service, or refuse with a clear error."""
    if service.state not in ALLOWED[to]:
        raise ValidationError(
            _("A %(state)s service cannot become %(to)s.")
            % {"state": service.get_state_display(), "to": State(to).label}
        )
    transition_many([service.pk], to, day=day, reason=reason, actor=actor)
    service.refresh_from_db()
    return service
