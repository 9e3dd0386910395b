"""API tokens belong to staff logins: a token's name is a label; only its hash is kept."""

from __future__ import annotations

from kyklos.api.models import ApiToken
from kyklos.core.personal_data import Erased, Subject, personal_data


def export_tokens(subject: Subject):
    if subject.user_id is None:
        return
    for t in ApiToken.objects.filter(user_id=subject.user_id):
        yield {
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }


def erase_tokens(subject: Subject) -> Erased:
    if subject.user_id is None:
        return Erased()
    deleted, _ = ApiToken.objects.filter(user_id=subject.user_id).delete()
    return Erased(deleted=deleted)


def register() -> None:
    personal_data.register(
        ApiToken,
        category="staff_accounts",
        fields=["name", "last_used_at"],
        exporter=export_tokens,
        eraser=erase_tokens,
    )
