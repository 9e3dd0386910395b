"""The consent ledger (R9.2) and the checks built on it.

Events are only ever added; the state of a person's consent for a purpose is their latest
event for it (no event: not given). A person is known by customer id, e-mail address or,
for the cookie banner, a random visitor id kept in a strictly necessary cookie.

:func:`may_process` is installed as ``core.personal_data``'s processing check, so every app
(and the outbox at send time) asks the same question: consent given, and no restriction or
objection in force.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kyklos.core import clock, messaging
from kyklos.core import personal_data as pd
from kyklos.core.audit import actor_fields
from kyklos.core.personal_data import Contact
from kyklos.privacy.models import ConsentEvent, NoticeVersion, Restriction

Purpose = ConsentEvent.Purpose
Source = ConsentEvent.Source
COOKIE_PURPOSES = (Purpose.ANALYTICS_COOKIES, Purpose.ADVERTISING_COOKIES)
VISITOR_COOKIE = "kyklos_visitor"
#: A staff-written marketing e-mail (newsletter); sent only with consent, checked again
#: at send time, with a one-click unsubscribe.
MARKETING_EVENT = "privacy_marketing"
UNSUBSCRIBE_SALT = "kyklos.privacy.unsubscribe"


def _person(customer_id: int | None, email: str, visitor: str) -> Q:
    q = Q(pk__in=[])
    if customer_id is not None:
        q |= Q(customer_id=customer_id)
    if email:
        q |= Q(email__iexact=email)
    if visitor:
        q |= Q(visitor=visitor)
    return q


def _notice_number() -> int | None:
    return NoticeVersion.objects.order_by("-number").values_list("number", flat=True).first()


@transaction.atomic
def record(
    *,
    purposes: dict[str, bool],
    source: str,
    customer_id: int | None = None,
    email: str = "",
    visitor: str = "",
    actor=None,
) -> list[ConsentEvent]:
    """Append one event per purpose whose state changes (giving twice adds nothing)."""
    unknown = [p for p in purposes if p not in Purpose.values]
    if unknown:
        raise ValidationError(_("Unknown consent purpose: %(p)s") % {"p": ", ".join(unknown)})
    if source not in Source.values:
        raise ValidationError(_("Unknown consent source: %(s)s") % {"s": source})
    if customer_id is None and not email and not visitor:
        raise ValidationError(_("Consent needs a person: a customer, an e-mail or a visitor."))
    current = state(customer_id=customer_id, email=email, visitor=visitor, decided_only=True)
    now, version = clock.now(), _notice_number()
    label = actor_fields(actor)["actor_label"] if actor is not None else ""
    events = [
        ConsentEvent(
            customer_id=customer_id,
            email=email.strip().lower(),
            visitor=visitor,
            purpose=purpose,
            given=bool(given),
            notice_version=version,
            at=now,
            source=source,
            actor_label=label,
        )
        for purpose, given in purposes.items()
        if current.get(purpose) is not bool(given)
    ]
    ConsentEvent.objects.bulk_create(events)
    return events


def state(
    *,
    customer_id: int | None = None,
    email: str = "",
    visitor: str = "",
    decided_only: bool = False,
) -> dict[str, bool]:
    """The person's current consent per purpose (one query). Purposes never decided are
    ``False``, or missing with ``decided_only``."""
    result: dict[str, bool] = {}
    rows = (
        ConsentEvent.objects.filter(_person(customer_id, email, visitor))
        .order_by("-at", "-id")
        .values_list("purpose", "given")
    )
    for purpose, given in rows:
        result.setdefault(purpose, given)
    if not decided_only:
        for purpose in Purpose.values:
            result.setdefault(purpose, False)
    return result


def is_restricted(*, customer_id: int | None = None, email: str = "") -> bool:
    q = Q(pk__in=[])
    if customer_id is not None:
        q |= Q(customer_id=customer_id)
    if email:
        q |= Q(email__iexact=email)
    return Restriction.objects.filter(q, lifted_at__isnull=True).exists()


def may_process(purpose: str, *, customer_id: int | None = None, email: str = "") -> bool:
    """The processing check (installed in ``core.personal_data``): essential processing
    always; anything else only without a restriction, and consent purposes only with
    consent."""
    if purpose == pd.ESSENTIAL:
        return True
    if is_restricted(customer_id=customer_id, email=email):
        return False
    if purpose in Purpose.values:
        return state(customer_id=customer_id, email=email).get(purpose, False)
    return True


def consenting(purpose: str, contacts: Iterable[Contact]) -> list[Contact]:
    """The contacts who may get ``purpose`` now: two queries for the whole batch."""
    contacts = list(contacts)
    ids = {c.customer_id for c in contacts if c.customer_id is not None}
    emails = {c.email.lower() for c in contacts if c.email}
    latest: dict[tuple[str, object], bool] = {}
    for customer_id, email, given in (
        ConsentEvent.objects.filter(Q(customer_id__in=ids) | Q(email__in=emails), purpose=purpose)
        .order_by("-at", "-id")
        .values_list("customer_id", "email", "given")
    ):
        if customer_id is not None:
            latest.setdefault(("c", customer_id), given)
        if email:
            latest.setdefault(("e", email), given)
    restricted = set(
        Restriction.objects.filter(
            Q(customer_id__in=ids) | Q(email__in=emails), lifted_at__isnull=True
        ).values_list("customer_id", "email")
    )
    blocked_ids = {c for c, _e in restricted if c is not None}
    blocked_emails = {e.lower() for _c, e in restricted if e}

    def allowed(c: Contact) -> bool:
        if c.customer_id in blocked_ids or c.email.lower() in blocked_emails:
            return False
        by_customer = latest.get(("c", c.customer_id)) if c.customer_id is not None else None
        return by_customer if by_customer is not None else latest.get(("e", c.email.lower()), False)

    return [c for c in contacts if allowed(c)]


# --- one-click unsubscribe (RFC 8058) ---------------------------------------------------


def unsubscribe_token(*, purpose: str, customer_id: int | None, email: str) -> str:
    return signing.dumps({"p": purpose, "c": customer_id, "e": email}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> dict:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ValidationError(_("This unsubscribe link is not valid.")) from None
    if data.get("p") not in Purpose.values:
        raise ValidationError(_("This unsubscribe link is not valid."))
    return data


def unsubscribe_url(token: str) -> str:
    path = reverse("privacy:unsubscribe", args=[token])
    return settings.KYKLOS_PORTAL_URL.rstrip("/") + path


def marketing_headers(url: str) -> dict[str, str]:
    """The RFC 2369 / RFC 8058 headers of a marketing message."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe(token: str) -> list[ConsentEvent]:
    """Record the withdrawal an unsubscribe link stands for."""
    data = read_unsubscribe_token(token)
    return record(
        purposes={data["p"]: False},
        source=Source.UNSUBSCRIBE,
        customer_id=data.get("c"),
        email=data.get("e") or "",
    )


def queue_marketing(
    *, event: str, contacts: Iterable[Contact], context: dict, purpose: str = pd.MARKETING_EMAIL
) -> int:
    """Queue a marketing message for those of ``contacts`` who consented, each with its
    own one-click unsubscribe link (body: ``unsubscribe_url``; headers: RFC 8058). The
    sender checks consent once more at send time. Call inside the caller's transaction."""
    if messaging.purpose_of(event) != purpose:
        raise ValueError(f"{event!r} is not declared as a message needing {purpose!r}.")
    messages = []
    for c in consenting(purpose, contacts):
        url = unsubscribe_url(
            unsubscribe_token(purpose=purpose, customer_id=c.customer_id, email=c.email)
        )
        messages.append(
            messaging.Message(
                event=event,
                to_email=c.email,
                language=c.language,
                customer_id=c.customer_id,
                context={"customer_name": c.name, **context, "unsubscribe_url": url},
                headers=marketing_headers(url),
            )
        )
    return messaging.queue(messages)


# --- the cookie banner --------------------------------------------------------------------


def new_visitor_id() -> str:
    return secrets.token_urlsafe(24)


def cookie_choices(request) -> dict[str, bool] | None:
    """The visitor's recorded banner choices, or None when they have not chosen yet.
    Cached on the request: the banner, the context processor and the tag share one query."""
    if hasattr(request, "_kyklos_cookie_choices"):
        return request._kyklos_cookie_choices
    visitor = request.COOKIES.get(VISITOR_COOKIE, "")
    choices = None
    if visitor and len(visitor) <= 64:
        decided = state(visitor=visitor, decided_only=True)
        if any(p in decided for p in COOKIE_PURPOSES):
            choices = {p: decided.get(p, False) for p in COOKIE_PURPOSES}
    request._kyklos_cookie_choices = choices
    return choices
