"""``cookie_consent`` in every template: whether the banner is due and what the visitor
allowed. Templates that add analytics or advertising use ``{% if_consent %}`` from the
``privacy`` tag library (or ``cookie_consent.analytics``) so nothing loads without consent."""

from kyklos.privacy import consent


def cookie_consent(request) -> dict:
    choices = consent.cookie_choices(request)
    return {
        "cookie_consent": {
            "decided": choices is not None,
            "analytics": bool(choices and choices[consent.Purpose.ANALYTICS_COOKIES]),
            "advertising": bool(choices and choices[consent.Purpose.ADVERTISING_COOKIES]),
        }
    }
