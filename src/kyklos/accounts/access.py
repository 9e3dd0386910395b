"""Who may do what: declare it on views, check it in services.

Views declare who may use them, so the authorisation test matrix can walk every URL:

- :func:`require_permission` (``@require_permission("support", "change")``): staff whose
  role the grant table (:mod:`kyklos.accounts.roles`) gives that need, with a verified
  second factor; others get 403, anonymous users the login page. This is how staff views
  say who they are for: what they do, not a list of roles;
- :func:`require_role` (``@require_role(roles.DPO)``): the same for an explicit list of
  roles, for the rare page that is about a role rather than an app;
- :func:`customer_only`: logged-in customers (the portal marks its views with it);
- :func:`any_user`: any logged-in user (their own account and security pages);
- :func:`public`: no login (the login pages themselves).

Services and views ask :func:`can` (``can(user, "invoice.view", invoice)``) for actions
with a per-object rule: staff whose role is granted the action's need, customers only on
their own objects (the object's ``audit_customer_id``). Apps declare their actions with
:func:`register_action` in ``AppConfig.ready``. An unknown action is refused loudly (fail
closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kyklos.accounts import roles as R
from kyklos.accounts.roles import Need, allowed_roles, has_role, need

PUBLIC = "public"
USER = "user"
CUSTOMER = "customer"
STAFF = "staff"


@dataclass(frozen=True)
class Access:
    """Who a view is for. For :data:`STAFF`: explicit ``roles``, or the ``needs`` whose
    roles the grant table gives (read when asked, so grants added later count); the
    admin role is always allowed."""

    audience: str
    explicit_roles: frozenset[str] = frozenset()
    needs: tuple[Need, ...] = ()

    @property
    def roles(self) -> frozenset[str]:
        if self.audience != STAFF:
            return frozenset()
        return self.explicit_roles | (allowed_roles(*self.needs) if self.needs else {R.ADMIN})

    def allows_role(self, role: str) -> bool:
        return role in self.roles


def declared(view) -> Access | None:
    return getattr(view, "kyklos_access", None)


def _mark(view, access: Access):
    view.kyklos_access = access
    return view


def public(view):
    """No login needed (login, password reset)."""
    return _mark(view, Access(PUBLIC))


def customer_only(view):
    """Marks a portal view that checks for the login's customer itself."""
    return _mark(view, Access(CUSTOMER))


def is_verified(user) -> bool:
    """Whether the session passed the second factor (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def any_user(view):
    """Any logged-in user; anonymous users are sent to the login page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.is_staff and not is_verified(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return _mark(wrapper, Access(USER))


def _staff_view(access: Access):
    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (is_verified(user) and has_role(user, *access.roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _mark(wrapper, access)

    return decorate


def require_role(*allowed: str):
    """Staff with one of ``allowed`` roles (admin always) and a verified second factor."""
    unknown = set(allowed) - R.STAFF_ROLES
    if unknown:
        raise ValueError(f"Unknown role(s) {sorted(unknown)}")
    return _staff_view(Access(STAFF, explicit_roles=frozenset(allowed) | {R.ADMIN}))


def require_permission(app_label: str, verb: str, *alternatives: tuple[str, str]):
    """Staff whose role the grant table gives ``verb`` on ``app_label`` (or one of the
    ``alternatives``, each an ``(app_label, verb)``), with a verified second factor::

        @require_permission("support", "change")
        @require_permission("support", "change", ("projects", "add"))  # either will do
    """
    needs = (need(app_label, verb), *(need(*other) for other in alternatives))
    return _staff_view(Access(STAFF, needs=needs))


# --- actions and per-object rules ---------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    need: Need
    customer: bool = False  # a customer may, on their own objects
    check: Callable | None = None  # extra per-object rule for staff: check(user, obj)

    @property
    def roles(self) -> frozenset[str]:
        return allowed_roles(self.need)


_actions: dict[str, Rule] = {}


def register_action(
    action: str,
    app_label: str,
    verb: str,
    *,
    customer: bool = False,
    check: Callable | None = None,
) -> None:
    """Declare ``action`` ("app.thing.verb") as what it does in the grant table's terms
    (``verb`` on ``app_label``: the roles granted that may do it, admin always), whether a
    customer may do it on their own objects, and an optional extra per-object rule for
    staff."""
    _actions[action] = Rule(need(app_label, verb), customer, check)


def actions() -> dict[str, Rule]:
    return dict(_actions)


def owner_customer_id(obj) -> int | None:
    return getattr(obj, "audit_customer_id", None)


def customer_id_of(user) -> int | None:
    """The customer a login belongs to, as owner or contact (cached on the user object).
    What a contact may do in the portal is narrowed by its scope there."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_kyklos_customer_id"):
        from kyklos.accounts.models import Contact
        from kyklos.customers.models import Customer

        user._kyklos_customer_id = (
            Customer.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        )
        if user._kyklos_customer_id is None:  # a contact login acts for its account (R1.2)
            user._kyklos_customer_id = (
                Contact.objects.filter(user_id=user.pk, accepted_at__isnull=False)
                .values_list("customer_id", flat=True)
                .first()
            )
    return user._kyklos_customer_id


def can(user, action: str, obj=None) -> bool:
    """Whether ``user`` may do ``action`` (on ``obj``)."""
    try:
        rule = _actions[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r}: declare it with register_action") from None
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        if not has_role(user, *rule.roles):
            return False
        return rule.check is None or obj is None or bool(rule.check(user, obj))
    if not rule.customer:
        return False
    mine = customer_id_of(user)
    if mine is None:
        return False
    return obj is None or owner_customer_id(obj) == mine


def authorize(actor, action: str, obj=None) -> None:
    """For service functions: raise PermissionDenied unless ``actor`` may do ``action``.
    ``actor`` may also be a label such as ``"automation"`` or None (the system itself),
    which is trusted: only people are checked."""
    if actor is None or isinstance(actor, str):
        return
    if not can(actor, action, obj):
        raise PermissionDenied(f"{action} is not allowed")


# The actions of the apps that exist today, as what they do in the grant table.
register_action("customer.view", "customers", "view", customer=True)
register_action("customer.change", "customers", "change", customer=True)
register_action("customer.lock", "customers", "change")  # as the admin's lock action
register_action("service.view", "lifecycle", "view", customer=True)
register_action("service.order", "lifecycle", "add", customer=True)
register_action("service.renew", "lifecycle", "change", customer=True)
register_action("service.cancel", "lifecycle", "change", customer=True)
register_action("service.change_plan", "lifecycle", "change", customer=True)
register_action("invoice.view", "billing", "view", customer=True)
register_action("payment.record", "payments", "add")
register_action("product.view", "catalog", "view")
register_action("product.change", "catalog", "change")
register_action("notification.view", "notifications", "view")
register_action("audit.view", "core", "view")
register_action("security_log.view", "accounts", "view")
