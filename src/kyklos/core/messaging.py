"""A port to the outbox for apps that may import only core (privacy).

The notifications app owns the outbox. It connects itself here in its ``AppConfig.ready``
(:func:`connect`); an app that sits beside it rather than above it declares its notice
events with :func:`declare_event` (in the ``register()`` of its ``notices`` module) and
writes notices with :func:`queue`, in the caller's transaction, exactly as
``notifications.services.queue_message`` would.

Marketing events are declared with the consent purpose they need. The sender asks
:func:`may_send` for every notice just before sending it, so a notice queued while the
person agreed is skipped if they withdrew meanwhile (R9.2: consent checked at send time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from kyklos.core import discovery


@dataclass(frozen=True)
class Message:
    event: str
    to_email: str
    language: str
    context: dict[str, Any]
    customer_id: int | None = None
    for_date: date | None = None
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[dict] = field(default_factory=list)


class Outbox(Protocol):
    def register_event(self, name: str, required_keys: tuple[str, ...]) -> None: ...

    def queue(self, messages: list[Message]) -> int:
        """Insert the messages, one INSERT per batch, in the caller's transaction."""
        ...


@dataclass(frozen=True)
class _Declared:
    required_keys: tuple[str, ...]
    purpose: str | None


_outbox: Outbox | None = None
_declared: dict[str, _Declared] = {}


def connect(outbox: Outbox) -> None:
    """Called by the notifications app; registers the events declared before it."""
    global _outbox
    _outbox = outbox
    for name, declared in _declared.items():
        outbox.register_event(name, declared.required_keys)


def declare_event(
    name: str, required_keys: Iterable[str] = (), *, purpose: str | None = None
) -> None:
    """Declare a notice event. ``purpose`` (e.g. ``personal_data.MARKETING_EMAIL``) makes
    it a message that is sent only while that purpose may be pursued for its recipient.
    An event is declared once (a second declaration is refused)."""
    if name in _declared:
        raise ValueError(f"The notice event {name!r} is already declared.")
    declared = _Declared(tuple(required_keys), purpose)
    _declared[name] = declared
    if _outbox is not None:
        _outbox.register_event(name, declared.required_keys)


def purpose_of(event: str) -> str | None:
    discovery.ensure()
    declared = _declared.get(event)
    return declared.purpose if declared else None


def queue(messages: Iterable[Message]) -> int:
    rows = list(messages)
    if not rows:
        return 0
    discovery.ensure()
    if _outbox is None:
        raise RuntimeError("No outbox is connected (is kyklos.notifications installed?).")
    return _outbox.queue(rows)


def may_send(event: str, *, customer_id: int | None, to_email: str) -> bool:
    """Whether a notice may be sent now: always, unless its event needs a purpose that
    may no longer be pursued for the recipient."""
    purpose = purpose_of(event)
    if purpose is None:
        return True
    from kyklos.core.personal_data import personal_data

    return personal_data.may_process(purpose, customer_id=customer_id, email=to_email)
