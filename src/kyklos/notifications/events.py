"""Which notice events exist and what each needs in its context.

The core events are :class:`kyklos.notifications.models.Event`. Apps above this one
(billing, support, privacy …) add their own in the ``register()`` of their ``notices``
module, through this app's services::

    from kyklos.notifications import services
    services.register_event("ticket_opened", ("customer_name", "ticket_number"))

and ship the templates ``notifications/<event>/<language>/{subject,body}.txt`` in their
own ``templates`` folder. The system check ``notifications.E001`` then requires them in
every language of ``settings.LANGUAGES``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kyklos.notifications.models import Event
from kyklos.notifications.rendering import REQUIRED_KEYS

_events: dict[str, tuple[str, ...]] = {str(e): tuple(REQUIRED_KEYS[e]) for e in Event}
#: Events that go to a customer's billing e-mail rather than the administrative one (R6.8).
_billing: set[str] = {Event.RENEWAL_INVOICE, Event.INVOICE_ISSUED}


def register(
    event: str, required_keys: Iterable[str] = (), *, to_billing_email: bool = False
) -> None:
    """Declare ``event``, once (a second registration is refused).
    ``to_billing_email`` sends a customer's notice to their billing address (invoices)."""
    keys = tuple(required_keys)
    if len(event) > 40 or not event.replace("_", "").isalnum():
        raise ValueError(f"A notice event is a short snake_case name, not {event!r}.")
    if event in _events:
        raise ValueError(f"The notice event {event!r} is already registered.")
    _events[event] = keys
    if to_billing_email:
        _billing.add(event)


def goes_to_billing_email(event: str) -> bool:
    return event in _billing


def is_known(event: str) -> bool:
    return event in _events


def required_keys(event: str) -> tuple[str, ...]:
    return _events[event]


def all_events() -> list[str]:
    return sorted(_events)
