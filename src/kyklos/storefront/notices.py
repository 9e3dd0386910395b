"""The notice the shop sends: a significant new version of the terms (R12.3)."""

from kyklos.notifications import services as notifications

TERMS_PUBLISHED = "terms_published"


def register() -> None:
    notifications.register_event(
        TERMS_PUBLISHED, ("customer_name", "version", "published_on", "summary", "terms_url")
    )
