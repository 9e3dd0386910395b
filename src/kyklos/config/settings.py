"""Kyklos settings, read from the environment (12-factor).

Environment variables:

- ``DATABASE_URL``       database; default: SQLite at ``$KYKLOS_HOME/kyklos.sqlite3``
- ``KYKLOS_HOME``        folder for the embedded database and uploaded files; default ``./var``
- ``KYKLOS_SECRET_KEY``  required when ``KYKLOS_DEBUG`` is off; the demo key is refused there
- ``KYKLOS_DEBUG``       ``1`` for development (the default when no secret key is given)
- ``KYKLOS_EMAIL_URL``   ``smtp://user:pass@host:port``, ``smtp+tls://…`` or ``console:`` (default)
- ``KYKLOS_TIME_ZONE``   the provider's time zone; default ``Europe/Athens``
- ``KYKLOS_COUNTRY``     the provider's country (ISO 3166 alpha-2); default ``GR``
- ``KYKLOS_ALLOWED_HOSTS`` comma-separated; default ``127.0.0.1,localhost`` in debug
- ``KYKLOS_BATCH_SIZE``  rows per batch in the daily run; default 5000
- ``KYKLOS_DAILY_CHUNK_CUSTOMERS`` customer ids per chunk of the daily run; default 50000
- ``KYKLOS_DAILY_BROKER`` Celery broker (``redis://…``) to run the chunks on workers
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

DEMO_SECRET_KEY = "kyklos-demo-secret-key-do-not-use-in-production"  # noqa: S105

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
KYKLOS_HOME = Path(env.str("KYKLOS_HOME", default=str(Path.cwd() / "var"))).resolve()

SECRET_KEY = env.str("KYKLOS_SECRET_KEY", default=DEMO_SECRET_KEY)
DEBUG = env.bool("KYKLOS_DEBUG", default=SECRET_KEY == DEMO_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEMO_SECRET_KEY:
    raise ImproperlyConfigured(
        "KYKLOS_SECRET_KEY must be set to a secret value in production "
        "(the demo key is refused when KYKLOS_DEBUG is off)."
    )

ALLOWED_HOSTS = env.list(
    "KYKLOS_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("KYKLOS_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "template_partials",
    "csp",
    "ninja",  # its Swagger UI from local static files, not a CDN (/api/v1/docs)
    # Kyklos, lowest layer first (imports point up this list, never down).
    "kyklos.core",
    "kyklos.customers",
    "kyklos.catalog",
    "kyklos.notifications",
    "kyklos.billing",
    "kyklos.payments",
    "kyklos.lifecycle",
    "kyklos.automation",
    "kyklos.portal",
    "kyklos.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "kyklos.config.urls"
WSGI_APPLICATION = "kyklos.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{KYKLOS_HOME / 'kyklos.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the portal read while the daily run writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write transactions.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("el", "Ελληνικά"), ("en", "English"), ("pl", "Polski")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("KYKLOS_TIME_ZONE", default="Europe/Athens")

STATIC_URL = "static/"
STATIC_ROOT = KYKLOS_HOME / "static"
MEDIA_ROOT = KYKLOS_HOME / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_CONFIG = env.email_url("KYKLOS_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("KYKLOS_EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("KYKLOS_FROM_EMAIL", default="Kyklos <noreply@kyklos.localhost>")

TASKS = {
    "default": {
        "BACKEND": env.str(
            "KYKLOS_TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("KYKLOS_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"kyklos": {"handlers": ["console"], "level": env.str("KYKLOS_LOG_LEVEL", "INFO")}},
}

# --- Kyklos -----------------------------------------------------------------
KYKLOS_COUNTRY = env.str("KYKLOS_COUNTRY", default="GR").upper()
KYKLOS_CURRENCY = env.str("KYKLOS_CURRENCY", default="EUR").upper()
KYKLOS_BATCH_SIZE = env.int("KYKLOS_BATCH_SIZE", default=5000)
# The daily run in chunks of customer ids; a Celery broker URL sends them to workers
# (docs/performance.md). The timeout bounds one chunk (and is the broker's redelivery).
KYKLOS_DAILY_CHUNK_CUSTOMERS = env.int("KYKLOS_DAILY_CHUNK_CUSTOMERS", default=50000)
KYKLOS_DAILY_BROKER = env.str("KYKLOS_DAILY_BROKER", default="")
KYKLOS_DAILY_CHUNK_TIMEOUT = env.int("KYKLOS_DAILY_CHUNK_TIMEOUT", default=3600)
KYKLOS_DAILY_QUEUE = env.str("KYKLOS_DAILY_QUEUE", default="kyklos-daily")
KYKLOS_PROVIDER = {
    "name": env.str("KYKLOS_PROVIDER_NAME", default="Kyklos Demo Hosting IKE"),
    "address": env.str("KYKLOS_PROVIDER_ADDRESS", default="Egnatia 100, 54623 Thessaloniki"),
    "vat_id": env.str("KYKLOS_PROVIDER_VAT_ID", default="EL094014201"),
    "email": env.str("KYKLOS_PROVIDER_EMAIL", default="billing@kyklos.localhost"),
}
KYKLOS_PORTAL_URL = env.str("KYKLOS_PORTAL_URL", default="http://127.0.0.1:8000")
