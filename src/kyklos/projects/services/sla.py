"""The service level agreement every quote carries (R7.7), published in numbered versions
like the privacy notice: :func:`publish_sla` adds a version when the text changed and keeps
the old ones; :func:`current_sla` is the version a quote sent today records."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.projects.defaults import texts_digest
from kyklos.projects.models import SlaVersion

LANGUAGES = ("el", "en", "pl")


def current_sla() -> SlaVersion | None:
    """The version in force: the latest published."""
    return SlaVersion.objects.order_by("-number").first()


@transaction.atomic
def publish_sla(texts: Mapping[str, str], *, actor) -> SlaVersion | None:
    """Publish ``texts`` (the SLA in Greek, English and Polish) as a new version; None
    when they equal the version in force. Every language is required."""
    if not isinstance(texts, Mapping):
        raise ValidationError({"texts": _("Give the text per language.")})
    cleaned = {}
    for language in LANGUAGES:
        text = str(texts.get(language) or "").strip()
        if not text:
            raise ValidationError(
                {"texts": _("The SLA needs its text in %(lang)s.") % {"lang": language}}
            )
        cleaned[language] = text
    digest = texts_digest(cleaned)
    latest = SlaVersion.objects.select_for_update().order_by("-number").first()
    if latest is not None and latest.digest == digest:
        return None
    version = SlaVersion.objects.create(
        number=(latest.number + 1) if latest else 1,
        published_at=clock.now(),
        texts=cleaned,
        digest=digest,
        published_by=acting_user(actor),
    )
    log_action(version, "projects.sla.published", actor=actor, data={"number": version.number})
    return version
