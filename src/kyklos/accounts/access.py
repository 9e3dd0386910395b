"""Who may do what: declare it on views, check it in services.

Views declare who may use them, so the authorisation test matrix can walk every URL:

- :func:`require_role` (``@require_role(roles.BILLING)``): staff with one of the roles and
  a verified second factor; others get 403, anonymous users the login page;
- :func:`customer_only`: logged-in customers (the portal marks its views with it);
- :func:`any_user`: any logged-in user (their own account and security pages);
- :func:`public`: no login (the login pages themselves).

Services and views ask :func:`can` (``can(user, "invoice.view", invoice)``) for actions
with a per-object rule: staff by role, customers only on their own objects (the object's
``audit_customer_id``). Apps declare their actions with :func:`register_action` in
``AppConfig.ready``. An unknown action is refused loudly (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kyklos.accounts import roles as R
from kyklos.accounts.roles import has_role

PUBLIC = "public"
USER = "user"
CUSTOMER = "customer"
STAFF = "staff"


@dataclass(frozen=True)
class Access:
    """Who a view is for. ``roles`` only for :data:`STAFF` (admin is always allowed)."""

    audience: str
    roles: frozenset[str] = frozenset()

    def allows_role(self, role: str) -> bool:
        return self.audience == STAFF and (role == R.ADMIN or role in self.roles)


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


def require_role(*allowed: str):
    """Staff with one of ``allowed`` roles (admin always) and a verified second factor."""
    unknown = set(allowed) - R.STAFF_ROLES
    if unknown:
        raise ValueError(f"Unknown role(s) {sorted(unknown)}")

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (is_verified(user) and has_role(user, *allowed)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return _mark(wrapper, Access(STAFF, frozenset(allowed)))

    return decorate


# --- actions and per-object rules ---------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    customer: bool = False  # a customer may, on their own objects
    check: Callable | None = None  # extra per-object rule for staff: check(user, obj)


_actions: dict[str, Rule] = {}


def register_action(
    action: str,
    roles: Iterable[str],
    *,
    customer: bool = False,
    check: Callable | None = None,
) -> None:
    """Declare ``action`` ("app.thing.verb"): the staff roles that may do it (admin
    always), whether a customer may do it on their own objects, and an optional extra
    per-object rule for staff."""
    wanted = frozenset(roles)
    if wanted - R.STAFF_ROLES:
        raise ValueError(f"Unknown role(s) {sorted(wanted - R.STAFF_ROLES)}")
    _actions[action] = Rule(wanted, customer, check)


def actions() -> dict[str, Rule]:
    return dict(_actions)


def owner_customer_id(obj) -> int | None:
    return getattr(obj, "audit_customer_id", None)


def customer_id_of(user) -> int | None:
    """The customer a login belongs to (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_kyklos_customer_id"):
        from kyklos.customers.models import Customer

        user._kyklos_customer_id = (
            Customer.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
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


# The actions of the apps that exist today.
register_action("customer.view", R.ROLES, customer=True)
register_action("customer.change", [R.BILLING, R.SUPPORT], customer=True)
register_action("customer.lock", [R.BILLING])
register_action("service.view", [R.BILLING, R.SUPPORT, R.TECHNICAL, R.DPO], customer=True)
register_action("service.order", [R.BILLING, R.SUPPORT], customer=True)
register_action("service.renew", [R.BILLING, R.SUPPORT], customer=True)
register_action("service.cancel", [R.BILLING, R.SUPPORT], customer=True)
register_action("invoice.view", [R.BILLING, R.SUPPORT, R.DPO], customer=True)
register_action("payment.record", [R.BILLING])
register_action("product.view", R.ROLES)
register_action("product.change", [R.ADMIN])
register_action("notification.view", [R.BILLING, R.SUPPORT])
register_action("audit.view", [R.DPO])
register_action("security_log.view", [R.DPO])
