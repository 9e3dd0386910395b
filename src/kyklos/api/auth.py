"""``Authorization: Bearer <token>`` for staff users' API tokens, and who may call what.

Every operation is for the admin role unless it says otherwise with ``auth=roles(...)``::

    from kyklos.accounts import roles as R
    from kyklos.api.auth import roles

    @router.get("/tickets", response=..., auth=roles(R.SUPPORT))

A token whose user lacks the role gets 403; the admin role may call everything.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from kyklos.accounts import roles as R
from kyklos.api import services
from kyklos.api.models import ApiToken


class StaffToken(HttpBearer):
    """Authenticates a request by its bearer token; ``request.auth`` is the staff user.

    Every refusal is a 401 that says why (no token, unknown, revoked, not active staff),
    or a 403 when the user has none of the operation's roles (:attr:`roles`; the admin
    role is always allowed).
    """

    def __init__(self, *allowed: str):
        unknown = set(allowed) - R.STAFF_ROLES
        if unknown:
            raise ValueError(f"Unknown role(s) {sorted(unknown)}")
        self.roles = frozenset(allowed) | {R.ADMIN}
        super().__init__()

    def __call__(self, request: HttpRequest):
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(
                message=_("Send an API token in the header “Authorization: Bearer <token>”.")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        # The role check rides on the token's query (no query more per request).
        in_role = get_user_model().groups.through.objects.filter(
            user_id=OuterRef("user_id"), group__name__in=[R.GROUPS[r] for r in self.roles]
        )
        api_token = (
            ApiToken.objects.select_related("user")
            .annotate(in_role=Exists(in_role))
            .filter(digest=ApiToken.digest_of(token))
            .first()
        )
        if api_token is None:
            raise AuthenticationError(message=_("This API token is not known."))
        if api_token.revoked_at is not None:
            raise AuthenticationError(message=_("This API token was revoked."))
        if not services.is_allowed(api_token.user):
            raise AuthenticationError(message=_("This API token's user is no longer active staff."))
        if not (api_token.user.is_superuser or api_token.in_role):
            raise HttpError(403, _("Your role does not allow this operation."))
        services.record_use(api_token)
        return api_token.user


def roles(*allowed: str) -> StaffToken:
    """The ``auth`` of an operation that staff with one of ``allowed`` roles may call."""
    return StaffToken(*allowed)
