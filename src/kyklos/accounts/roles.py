"""Staff roles (R10.1): billing, support, technical, DPO, admin.

A role is a Django group whose permissions are declared here, as data: for each role, the
apps (and which of view/add/change/delete) it works with. This grant table is the one source
of truth for authorisation: the admin's groups are built from it, and the API
(:func:`kyklos.api.auth.needs`), the desk and every other staff view
(:func:`kyklos.accounts.access.require_permission`) and the per-object actions
(:func:`kyklos.accounts.access.register_action`) each declare what they do as an
``(app_label, verb)`` need and ask :func:`allowed_roles` who may. docs/security.md's role
table is rendered from it (:func:`kyklos.accounts.selectors.role_table`).

The groups are created by a data migration and brought up to date after every ``migrate``
(``post_migrate``), so an app installed later is covered as soon as it declares its rights
with :func:`grant` in its ``AppConfig.ready``::

    from kyklos.accounts import roles
    roles.grant(roles.SUPPORT, "support", "view", "add", "change")

Least privilege: a role gets only what is listed; the admin role gets everything. A
superuser counts as admin. Decorators and checks that use roles are in
:mod:`kyklos.accounts.access`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

BILLING = "billing"
SUPPORT = "support"
TECHNICAL = "technical"
DPO = "dpo"
ADMIN = "admin"
ROLES = (BILLING, SUPPORT, TECHNICAL, DPO, ADMIN)
STAFF_ROLES = frozenset(ROLES)

#: The group that holds each role. "Billing staff" is the name the demo used before roles.
GROUPS = {
    BILLING: "Billing staff",
    SUPPORT: "Support staff",
    TECHNICAL: "Technical staff",
    DPO: "Data protection officer",
    ADMIN: "Administrators",
}
LABELS = {
    BILLING: _("Billing"),
    SUPPORT: _("Support"),
    TECHNICAL: _("Technical"),
    DPO: _("Data protection officer"),
    ADMIN: _("Administrator"),
}
VERBS = ("view", "add", "change", "delete")
WORK = ("view", "add", "change")  # never delete: records are cancelled, locked, credited

#: role -> {app_label: verbs}
_grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))


def grant(role: str, app_label: str, *verbs: str) -> None:
    """Give ``role`` the model permissions ``verbs`` on every model of ``app_label``."""
    if role not in STAFF_ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    unknown = set(verbs) - set(VERBS)
    if unknown or not verbs:
        raise ValueError(f"Verbs are {', '.join(VERBS)}, not {sorted(unknown) or 'none'}.")
    _grants[role][app_label].update(verbs)


def grants() -> dict[str, dict[str, set[str]]]:
    return {role: {app: set(v) for app, v in _grants[role].items()} for role in ROLES}


class Need(NamedTuple):
    """What an operation does, in the grant table's terms: ``Need("lifecycle", "add")``."""

    app_label: str
    verb: str

    def __str__(self) -> str:
        return f"{self.app_label} ({self.verb})"


def need(app_label: str, verb: str) -> Need:
    """A checked :class:`Need` (``verb`` is one of :data:`VERBS`)."""
    if verb not in VERBS:
        raise ValueError(f"Verbs are {', '.join(VERBS)}, not {verb!r}.")
    if not app_label or "." in app_label:
        raise ValueError(f"{app_label!r} is not an app label.")
    return Need(app_label, verb)


def may(role: str, *needs: Need) -> bool:
    """Whether the grant table gives ``role`` one of ``needs`` (the admin role: always)."""
    if role == ADMIN:
        return True
    granted = _grants[role] if role in STAFF_ROLES else {}
    return any(n.verb in granted.get(n.app_label, ()) for n in needs)


def allowed_roles(*needs: Need) -> frozenset[str]:
    """The roles the grant table gives one of ``needs``; always includes the admin role."""
    return frozenset(role for role in ROLES if may(role, *needs))


def user_may(user, *needs: Need) -> bool:
    """Whether active staff ``user`` has a role that is granted one of ``needs``."""
    return has_role(user, *allowed_roles(*needs))


# What each role works with in the apps that exist today. Apps add their own with grant().
for _app in ("customers", "billing", "payments", "lifecycle", "notifications"):
    grant(BILLING, _app, *WORK)
grant(BILLING, "catalog", "view")

grant(SUPPORT, "customers", "view", "change")
for _app in ("lifecycle", "notifications", "billing", "catalog"):
    grant(SUPPORT, _app, "view")

# Technical staff read services; changing a subscription (its price, renewal, cancelling it)
# is billing's work, so they have no lifecycle "change".
grant(TECHNICAL, "lifecycle", "view")
grant(TECHNICAL, "customers", "view")
grant(TECHNICAL, "catalog", "view")

grant(DPO, "customers", "view")
grant(DPO, "core", "view")  # the audit trail
grant(DPO, "accounts", "view")  # security log and sessions
grant(DPO, "axes", "view")
grant(DPO, "auth", "view")

# The apps added with billing, support, privacy and security.
for _app in ("projects", "receivables"):
    grant(BILLING, _app, *WORK)
grant(BILLING, "support", "view")
for _app in ("support", "intake"):
    grant(SUPPORT, _app, *WORK)
grant(SUPPORT, "projects", "view", "add")
grant(SUPPORT, "devices", "view")
grant(SUPPORT, "vault", "view")
grant(TECHNICAL, "support", *WORK)
grant(TECHNICAL, "devices", *WORK)
grant(TECHNICAL, "vault", "view", "add")  # storing a credential that arrived in a ticket
grant(DPO, "privacy", *WORK)
for _app in ("support", "intake", "devices", "vault"):
    grant(DPO, _app, "view")

# The staff console: suspending a service for abuse and lifting it act on the provider's
# servers (R5.6), technical staff's work; billing staff do it too (lifecycle "change").
grant(TECHNICAL, "provisioning", *WORK)

#: Permissions beyond the model verbs, per role (``app_label.codename``).
EXTRA = {
    TECHNICAL: {"vault.reveal_credential"},
}


def _role_filter(role: str) -> Q | None:
    if role == ADMIN:
        return Q()  # everything
    query = None
    for app_label, verbs in _grants[role].items():
        for verb in verbs:
            part = Q(content_type__app_label=app_label, codename__startswith=f"{verb}_")
            query = part if query is None else query | part
    for permission in EXTRA.get(role, ()):
        app_label, codename = permission.split(".")
        part = Q(content_type__app_label=app_label, codename=codename)
        query = part if query is None else query | part
    return query


def sync_groups(group_model, permission_model) -> None:
    """Create the role groups and set their permissions to exactly what is declared."""
    for role in ROLES:
        group, _created = group_model.objects.get_or_create(name=GROUPS[role])
        query = _role_filter(role)
        permissions = (
            permission_model.objects.filter(query)
            if query is not None
            else permission_model.objects.none()
        )
        group.permissions.set(list(permissions.values_list("pk", flat=True)))


def sync_after_migrate(sender, **kwargs) -> None:
    """``post_migrate``: permissions of newly installed apps exist now; add them. Runs
    once per ``migrate``, for the last app, when every app's permissions were created."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    if sender is not list(apps.get_app_configs())[-1]:
        return
    sync_groups(Group, Permission)


# --- who has which role -------------------------------------------------------------------

_CACHE = "_kyklos_roles"


def roles_of(user) -> frozenset[str]:
    """The roles of an active staff user (one query, cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not (user.is_active and user.is_staff):
        return frozenset()
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        found = frozenset({ADMIN})
    else:
        by_group = {name: role for role, name in GROUPS.items()}
        names = user.groups.filter(name__in=by_group).values_list("name", flat=True)
        found = frozenset(by_group[name] for name in names)
    setattr(user, _CACHE, found)
    return found


def has_role(user, *wanted: str) -> bool:
    """Whether ``user`` has one of ``wanted``; the admin role has every role."""
    mine = roles_of(user)
    return ADMIN in mine or bool(mine & set(wanted))


def assign(user, *wanted: str) -> None:
    """Give ``user`` the roles ``wanted`` (and make them staff)."""
    from django.contrib.auth.models import Group

    for role in wanted:
        if role not in STAFF_ROLES:
            raise ValueError(f"Unknown role {role!r}")
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    groups = [Group.objects.get_or_create(name=GROUPS[role])[0] for role in wanted]
    user.groups.add(*groups)
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
