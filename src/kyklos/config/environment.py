"""Reading the settings from the environment, with one clear line for a bad value.

:class:`KyklosEnv` is django-environ's ``Env`` whose every reading names the variable at
fault when its value cannot be used (``KYKLOS_BATCH_SIZE='abc': …``), so that ``kyklos``
can print one line and exit with status 2 instead of a traceback (``kyklos.__main__``).
It also takes ``console:``, the short e-mail URL that the settings document, and refuses
a weak secret key outside debug mode (:func:`check_secret_key`).
"""

from __future__ import annotations

import os
import re

import environ
from django.core.exceptions import ImproperlyConfigured

#: Short spellings of e-mail URLs that the documentation uses, and what they stand for.
EMAIL_ALIASES = {"console:": "consolemail://", "console://": "consolemail://"}

#: Django's own measure of a usable secret key (its check ``security.W009``).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5


class KyklosEnv(environ.Env):
    def _named(self, var: str, error: Exception) -> ImproperlyConfigured:
        value = os.environ.get(self.prefix + var)
        shown = ""
        if value is not None and not any(word in var for word in ("SECRET", "KEY", "PASS")):
            shown = f"={_without_credentials(value)!r}"
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ImproperlyConfigured(f"{self.prefix}{var}{shown}: {reason}")

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except ImproperlyConfigured as error:
            if str(error).startswith(self.prefix + var):
                raise
            raise self._named(var, error) from None
        except (ValueError, TypeError) as error:
            raise self._named(var, error) from None

    def _url(self, method, var, default, **kwargs):
        try:
            return method(var, default=default, **kwargs)
        except ImproperlyConfigured as error:
            if str(error).startswith(self.prefix + var):
                raise
            raise self._named(var, error) from None
        except (ValueError, TypeError, KeyError) as error:
            raise self._named(var, error) from None

    def db_url(self, var=environ.Env.DEFAULT_DATABASE_ENV, default=environ.Env.NOTSET, engine=None):
        config = self._url(super().db_url, var, default, engine=engine)
        engine_name = config.get("ENGINE", "")
        if not engine_name.startswith("django.db.backends."):
            raise self._named(var, ValueError(f"unknown database scheme ({engine_name})"))
        return config

    def email_url(
        self, var=environ.Env.DEFAULT_EMAIL_ENV, default=environ.Env.NOTSET, backend=None
    ):
        value = os.environ.get(self.prefix + var)
        if value is not None and value.strip() in EMAIL_ALIASES:
            return self.email_url_config(EMAIL_ALIASES[value.strip()])
        return self._url(super().email_url, var, default, backend=backend)

    def cache_url(
        self, var=environ.Env.DEFAULT_CACHE_ENV, default=environ.Env.NOTSET, backend=None
    ):
        return self._url(super().cache_url, var, default, backend=backend)


def _without_credentials(value: str) -> str:
    """``postgres://user:pw@host/db`` → ``postgres://***@host/db``: never print a password."""
    return re.sub(r"//[^/@]*@", "//***@", value)


def check_secret_key(secret_key: str, *, demo_key: str, debug: bool) -> None:
    """Outside debug mode, refuse the demo key and any key Django would call weak."""
    if debug:
        return
    if secret_key == demo_key:
        raise ImproperlyConfigured(
            "KYKLOS_SECRET_KEY must be set to a secret value in production "
            "(the demo key is refused when KYKLOS_DEBUG is off)."
        )
    if (
        len(secret_key) < SECRET_KEY_MIN_LENGTH
        or len(set(secret_key)) < SECRET_KEY_MIN_UNIQUE
        or secret_key.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"KYKLOS_SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random "
            f"characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
