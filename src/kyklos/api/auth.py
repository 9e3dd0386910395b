"""``Authorization: Bearer <token>`` for staff users' API tokens."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from kyklos.api import services
from kyklos.api.models import ApiToken


class StaffToken(HttpBearer):
    """Authenticates a request by its bearer token; ``request.auth`` is the staff user.

    Every refusal is a 401 that says why (no token, unknown, revoked, not active staff).
    """

    def __call__(self, request: HttpRequest):
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(
                message=_("Send an API token in the header “Authorization: Bearer <token>”.")
            )
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        api_token = (
            ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(token)).first()
        )
        if api_token is None:
            raise AuthenticationError(message=_("This API token is not known."))
        if api_token.revoked_at is not None:
            raise AuthenticationError(message=_("This API token was revoked."))
        if not services.is_allowed(api_token.user):
            raise AuthenticationError(message=_("This API token's user is no longer active staff."))
        services.record_use(api_token)
        return api_token.user
