"""``Authorization: Bearer <token>`` for staff users' API tokens, and who may call what.

An operation says what it does, in the terms of the grant table
(:mod:`kyklos.accounts.roles`), with ``auth=needs(app_label, verb)``; the roles that may
call it are the roles the table gives that need::

    from kyklos.api.auth import needs

    @router.get("/tickets", response=..., auth=needs("support", "view"))
    @router.post("/services", response=..., auth=needs("lifecycle", "add"))

An operation without ``auth=`` is for the admin role only. A token whose user has none of
the allowed roles gets 403; the admin role may call everything.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from kyklos.accounts import roles as R
from kyklos.api import services
from kyklos.api.models import ApiToken
from kyklos.core.prepared import prepared


class StaffToken(HttpBearer):
    """Authenticates a request by its bearer token; ``request.auth`` is the staff user.

    Every refusal is a 401 that says why (no token, unknown, revoked, not active staff),
    or a 403 when the user has none of the roles the grant table gives the operation's
    :attr:`needs` (:attr:`roles`; the admin role is always allowed; no needs: admin only).
    """

    def __init__(self, *needs: R.Need):
        self.needs = tuple(needs)
        super().__init__()

    @property
    def roles(self) -> frozenset[str]:
        """Read from the grant table on every call, so grants added later count."""
        return R.allowed_roles(*self.needs) if self.needs else frozenset({R.ADMIN})

    def __call__(self, request: HttpRequest):
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(
                message=_("Send an API token in the header “Authorization: Bearer <token>”.")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        api_token = _token(ApiToken.digest_of(token), self.roles)
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


_TOKEN_FIELDS = [f.attname for f in ApiToken._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in get_user_model()._meta.concrete_fields]
_token_reads: dict[frozenset[str], object] = {}


def _token(digest: str, roles: frozenset[str]) -> ApiToken | None:
    """The token with ``digest`` and its user, ``in_role`` when the user holds one of
    ``roles``: one query, compiled once per connection and set of roles (core.prepared),
    the role check riding on it."""
    read = _token_reads.get(roles)
    if read is None:
        groups = sorted(R.GROUPS[r] for r in roles)

        def build(digest):
            in_role = get_user_model().groups.through.objects.filter(
                user_id=OuterRef("user_id"), group__name__in=groups
            )
            return (
                ApiToken.objects.filter(digest=digest)
                .annotate(in_role=Exists(in_role))
                .values_list(*_TOKEN_FIELDS, *(f"user__{name}" for name in _USER_FIELDS), "in_role")
            )

        read = _token_reads[roles] = prepared(f"api.token:{','.join(groups)}", build)
    found = read(digest)
    if not found:
        return None
    row = found[0]
    api_token = ApiToken.from_db(DEFAULT_DB_ALIAS, _TOKEN_FIELDS, row[: len(_TOKEN_FIELDS)])
    user = get_user_model().from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[len(_TOKEN_FIELDS) : -1])
    api_token.user = user
    api_token.in_role = row[-1]
    return api_token


def needs(app_label: str, verb: str) -> StaffToken:
    """The ``auth`` of an operation that does ``verb`` (view, add, change, delete) on
    ``app_label``'s data: staff whose role the grant table gives that may call it."""
    return StaffToken(R.need(app_label, verb))
