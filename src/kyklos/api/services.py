"""API tokens of staff users: issued once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.api.models import ApiToken
from kyklos.core import clock
from kyklos.core.audit import log_action

#: Every token starts with this, so secret scanners and people can recognise one.
TOKEN_PREFIX = "kyk_"
#: How often ``last_used_at`` is written at most: once a minute keeps reads cheap.
USE_RECORD_INTERVAL = timedelta(minutes=1)


def is_allowed(user) -> bool:
    """Only active staff users hold API tokens."""
    return bool(user.is_active and user.is_staff)


@transaction.atomic
def create_token(user, *, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``. Returns the row and the token itself, which is shown
    this once: only its digest is stored."""
    if not is_allowed(user):
        raise ValidationError(
            {
                "user": _("API tokens are only for active staff users; %(user)s is not one.")
                % {"user": user.get_username()}
            }
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        digest=ApiToken.digest_of(raw),
        prefix=raw[: ApiToken._meta.get_field("prefix").max_length],
        created_at=clock.now(),
    )
    token.full_clean()
    token.save()
    log_action(
        token,
        "api_token.created",
        actor=actor,
        data={"user": user.get_username(), "name": token.name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def revoke_token(token: ApiToken, *, actor=None) -> ApiToken:
    """Revoke a token for good: requests with it are refused from now on."""
    if token.revoked_at is not None:
        raise ValidationError(_("This token was already revoked."))
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    log_action(
        token,
        "api_token.revoked",
        actor=actor,
        data={"user": token.user.get_username(), "prefix": token.prefix},
    )
    return token


def record_use(token: ApiToken) -> None:
    """Note that ``token`` was used now, at most once per :data:`USE_RECORD_INTERVAL`."""
    now = clock.now()
    if token.last_used_at is not None and now - token.last_used_at < USE_RECORD_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
