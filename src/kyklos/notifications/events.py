"""Which notice events exist and what each needs in its context.

The core events are :class:`kyklos.notifications.models.Event`. Apps above this one
(billing, support, privacy …) add their own in the ``register()`` of their ``notices``
module, through this app's services::

    from kyklos.notifications import services
    services.register_event("ticket_opened", ("customer_name", "ticket_number"))

and ship the templates ``notifications/<event>/<language>/{subject,body}.txt`` in their
own ``templates`` folder. The system check ``notifications.E001`` then requires them in
every language of ``settings.LANGUAGES``. Every question about the events first discovers
the apps' ``notices`` modules (:mod:`kyklos.core.discovery`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kyklos.core import discovery
from kyklos.notifications.models import Event
from kyklos.notifications.rendering import REQUIRED_KEYS

_events: dict[str, tuple[str, ...]] = {str(e): tuple(REQUIRED_KEYS[e]) for e in Event}
#: Events that go to a customer's billing e-mail rather than the administrative one (R6.8).
_billing: set[str] = {Event.RENEWAL_INVOICE, Event.INVOICE_ISSUED}

BILLING, TECHNICAL, GENERAL = "billing", "technical", "general"
AUDIENCES = (BILLING, TECHNICAL, GENERAL)
#: Who a customer's notice is for, besides the owner's address (R1.2): the account's
#: contacts whose scope hears that audience get a copy (``accounts.models.NOTICE_AUDIENCES``).
#: Events not listed here are ``general``; events billed to the billing e-mail are ``billing``.
_audience: dict[str, str] = {
    Event.RENEWAL_INVOICE: BILLING,
    Event.INVOICE_ISSUED: BILLING,
    Event.PAYMENT_REMINDER: BILLING,
    Event.PAYMENT_RECEIVED: BILLING,
    Event.EXPIRY_WARNING: TECHNICAL,
    Event.SERVICE_SUSPENDED: TECHNICAL,
    Event.SERVICE_TERMINATED: TECHNICAL,
    Event.SERVICE_RENEWED: TECHNICAL,
    Event.SERVICE_REACTIVATED: TECHNICAL,
    Event.SERVICE_CANCELLED: TECHNICAL,
}


def register(
    event: str,
    required_keys: Iterable[str] = (),
    *,
    to_billing_email: bool = False,
    audience: str | None = None,
) -> None:
    """Declare ``event``, once (a second registration is refused).
    ``to_billing_email`` sends a customer's notice to their billing address (invoices);
    ``audience`` (``billing``, ``technical``, ``general``; default ``billing`` for those,
    else ``general``) says which contacts of the account get a copy (R1.2)."""
    keys = tuple(required_keys)
    if audience is not None and audience not in AUDIENCES:
        raise ValueError(f"A notice's audience is one of {AUDIENCES}, not {audience!r}.")
    if len(event) > 40 or not event.replace("_", "").isalnum():
        raise ValueError(f"A notice event is a short snake_case name, not {event!r}.")
    if event in _events:
        raise ValueError(f"The notice event {event!r} is already registered.")
    _events[event] = keys
    if to_billing_email:
        _billing.add(event)
    _audience[event] = audience or (BILLING if to_billing_email else GENERAL)


def goes_to_billing_email(event: str) -> bool:
    discovery.ensure()
    return event in _billing


def audience(event: str) -> str:
    """Which contacts of an account hear ``event``: billing, technical or general."""
    discovery.ensure()
    return _audience.get(event, BILLING if event in _billing else GENERAL)


def is_known(event: str) -> bool:
    discovery.ensure()
    return event in _events


def required_keys(event: str) -> tuple[str, ...]:
    discovery.ensure()
    return _events[event]


def all_events() -> list[str]:
    discovery.ensure()
    return sorted(_events)
