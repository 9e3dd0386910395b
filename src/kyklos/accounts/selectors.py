"""Reads for the security page and the staff views, and the role table of docs/security.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kyklos.accounts import roles
from kyklos.accounts.backends import OWNED_CUSTOMER
from kyklos.accounts.models import (
    NOTICE_AUDIENCES,
    Contact,
    ContactScope,
    RecoveryCode,
    SecurityEvent,
    UserSession,
)
from kyklos.customers.models import Customer
from kyklos.customers.selectors import customer_for_user

RECENT_EVENTS = 20
_UNREAD = object()


def open_sessions(user) -> list[UserSession]:
    return list(
        UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")
    )


def recent_security_events(user, limit: int = RECENT_EVENTS) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(user=user).order_by("-at", "-id")[:limit])


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(
        device__user=user, device__confirmed=True, used_at__isnull=True
    ).count()


# --- contacts: more logins for one customer account (R1.2) -------------------------------

#: The scope of the account's owner: everything, and the contacts.
OWNER = "owner"


@dataclass(frozen=True)
class PortalLogin:
    """Whose account a login opens in the portal and with what scope: ``owner`` or one
    of :class:`ContactScope`."""

    customer: Customer
    scope: str
    contact: Contact | None = None

    @property
    def is_owner(self) -> bool:
        return self.scope == OWNER


def portal_login(user) -> PortalLogin | None:
    """The customer account ``user`` logs in to, as owner or as a contact; None for
    staff, anonymous users and logins of no account."""
    # the session's login was read with the account it owns (accounts.backends)
    customer = getattr(user, OWNED_CUSTOMER, _UNREAD)
    if customer is _UNREAD:
        customer = customer_for_user(user)
    if customer is not None:
        return PortalLogin(customer, OWNER)
    if user is None or not user.is_authenticated:
        return None
    contact = (
        Contact.objects.select_related("customer")
        .filter(user_id=user.pk, accepted_at__isnull=False)
        .first()
    )
    if contact is None:
        return None
    return PortalLogin(contact.customer, contact.scope, contact)


def contacts_of(customer) -> list[Contact]:
    """The contacts of an account, invited or accepted, by name."""
    return list(Contact.objects.filter(customer=customer).select_related("user"))


def contact_addresses(customer_id: int, audience: str) -> list[str]:
    """The addresses of the account's contacts that receive notices of ``audience``
    (``billing``, ``technical`` or ``general``): the rule is data,
    :data:`kyklos.accounts.models.NOTICE_AUDIENCES`."""
    scopes = [scope for scope, heard in NOTICE_AUDIENCES.items() if audience in heard]
    return list(
        Contact.objects.filter(
            customer_id=customer_id,
            scope__in=scopes,
            accepted_at__isnull=False,
            user__is_active=True,
        )
        .order_by("email")
        .values_list("email", flat=True)
    )


SCOPE_LABELS = dict(ContactScope.choices)


# --- the role table -----------------------------------------------------------------------


def _verbs_key(verbs: frozenset[str]) -> tuple:
    order = [roles.VERBS.index(v) for v in sorted(verbs, key=roles.VERBS.index)]
    return (-len(order), order)


def role_work(role: str) -> str:
    """What ``role`` works with, from the grant table, in one line: the apps with the same
    verbs together (``customers, lifecycle (view, change); catalog (view)``), then any
    extra permissions."""
    if role == roles.ADMIN:
        return "everything (a superuser counts as admin)"
    by_verbs: dict[frozenset[str], list[str]] = {}
    for app_label, verbs in roles.grants()[role].items():
        if verbs:
            by_verbs.setdefault(frozenset(verbs), []).append(app_label)
    parts = []
    for verbs in sorted(by_verbs, key=_verbs_key):
        apps, said = sorted(by_verbs[verbs]), sorted(verbs, key=roles.VERBS.index)
        parts.append(f"{', '.join(apps)} ({', '.join(said)})")
    extra = sorted(roles.EXTRA.get(role, ()))
    if extra:
        parts.append("permission " + ", ".join(f"`{p}`" for p in extra))
    return "; ".join(parts) or "nothing"


def role_table() -> str:
    """docs/security.md's role table (Markdown), rendered from :mod:`kyklos.accounts.roles`:
    the data every interface reads, so the documentation cannot drift from it."""
    rows = [
        "| role | group | works with (app labels; verbs) |",
        "|---|---|---|",
        *(f"| {role} | {roles.GROUPS[role]} | {role_work(role)} |" for role in roles.ROLES),
    ]
    return "\n".join(rows) + "\n"


# --- staff viewing a customer's portal ----------------------------------------------------


@dataclass(frozen=True)
class Impersonation:
    """Staff member ``staff_name`` is viewing customer ``customer_id``'s portal in this
    session (read-only unless ``may_act``). Started by
    :func:`kyklos.accounts.services.start_impersonation`."""

    customer_id: int
    staff_id: int
    staff_name: str
    may_act: bool
    reason: str
    started_at: str

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, raw: dict) -> Impersonation:
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__})


def impersonation(request) -> Impersonation | None:
    """The impersonation of ``request``'s session, or None. Only for the staff member who
    started it, still staff with a verified second factor."""
    from kyklos.accounts.access import is_verified
    from kyklos.accounts.services import IMPERSONATION

    session = getattr(request, "session", None)
    raw = session.get(IMPERSONATION) if session is not None else None
    user = getattr(request, "user", None)
    if not raw or user is None or not user.is_authenticated:
        return None
    try:
        seen = Impersonation.from_session(raw)
    except (KeyError, TypeError):
        return None
    if seen.staff_id != user.pk or not user.is_staff or not is_verified(user):
        return None
    return seen
