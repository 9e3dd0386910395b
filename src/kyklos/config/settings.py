"""Kyklos settings, read from the environment (12-factor).

Environment variables:

- ``DATABASE_URL``       database; default: SQLite at ``$KYKLOS_HOME/kyklos.sqlite3``
- ``KYKLOS_HOME``        folder for the embedded database and uploaded files; default ``./var``
- ``KYKLOS_SECRET_KEY``  required when ``KYKLOS_DEBUG`` is off: at least 50 random characters;
  the demo key is refused there
- ``KYKLOS_DEBUG``       ``1`` for development (the default when no secret key is given)
- ``KYKLOS_EMAIL_URL``   ``smtp://user:pass@host:port``, ``smtp+tls://…`` or ``console:`` (default)
- ``KYKLOS_TIME_ZONE``   the provider's time zone; default ``Europe/Athens``
- ``KYKLOS_COUNTRY``     the provider's country (ISO 3166 alpha-2); default ``GR``
- ``KYKLOS_ALLOWED_HOSTS`` comma-separated; default ``127.0.0.1,localhost`` in debug
- ``KYKLOS_BATCH_SIZE``  rows per batch in the daily run; default 5000
- ``KYKLOS_COPY_ROWS``   PostgreSQL: bulk inserts of at least this many rows use COPY; default 10
- ``KYKLOS_VAULT_KEYS``  credential-vault keys ``id:base64,…``, the first encrypts
  (``kyklos vault new-key``); required outside debug mode once the vault is used
- ``KYKLOS_SUPPORT_EMAIL`` the support desk's address (Reply-To of ticket e-mail)
- ``KYKLOS_HOURLY_RATE`` standard hourly rate (R7.4) before any dated rate is set; default 50.00
- ``KYKLOS_IMAP_URL``    mailbox polled by ``kyklos mail-fetch``: ``imaps://user:pass@host/INBOX``
- ``KYKLOS_INTAKE_*``    e-mail intake and contact-form limits (docs/intake.md)
- ``KYKLOS_TLS``         ``1`` when served over HTTPS (default when not debugging): secure
  cookies and HSTS (``KYKLOS_HSTS_SECONDS``, default one year)
- ``KYKLOS_SESSION_IDLE_MINUTES`` / ``KYKLOS_SESSION_MAX_HOURS`` session timeouts (30 / 12)
- ``KYKLOS_LOGIN_FAILURE_LIMIT`` / ``KYKLOS_LOCKOUT_MINUTES`` login lockout (5 / 15)
- ``KYKLOS_DAILY_CHUNK_CUSTOMERS`` customer ids per chunk of the daily run; default 50000
- ``KYKLOS_DAILY_BROKER`` Celery broker (``redis://…``) to run the chunks on workers
- ``KYKLOS_DAILY_PROCESSES`` processes that run the daily run's chunks on this machine;
  default 0: one per CPU on PostgreSQL (always 1 on SQLite)
- ``KYKLOS_CATCH_UP_DAYS`` how far back ``kyklos automate`` runs missed days: it refuses a
  day more than this many days before today; default 366 (days ahead of today need
  ``--allow-future``, which is logged)
- ``KYKLOS_CONFIRM_RANGE_DAYS`` a ``kyklos automate --from/--to`` range of more days needs
  ``--yes`` (or a "y" at the terminal); default 31
- ``KYKLOS_ERROR_HOOK``  dotted path of ``hook(request, exception, request_id)`` for error
  tracking; unhandled errors are always logged with the request id
- ``KYKLOS_EINVOICING_*`` retries of e-invoicing transmissions: ``MAX_ATTEMPTS`` (10),
  ``BACKOFF_SECONDS`` (60), ``MAX_BACKOFF_SECONDS`` (21600), ``STALE_SECONDS`` (900), ``BATCH``
  (100) (docs/einvoicing.md)
- ``KYKLOS_SIGNUP_LINK_HOURS`` how long a shop sign-up's verification link works; default 48
- ``KYKLOS_PASSWORD_RESET_MINUTES`` how long a password-reset link works; default 60
- ``KYKLOS_PASSWORD_RESET_PER_ADDRESS`` / ``KYKLOS_PASSWORD_RESET_PER_IP`` reset requests
  allowed per e-mail address / client address per hour (3 / 10) (docs/storefront.md)
- ``KYKLOS_PROVISIONING_*`` provisioning jobs: ``MAX_ATTEMPTS`` (5), ``BACKOFF_SECONDS`` (60),
  ``MAX_BACKOFF_SECONDS`` (3600), ``STALE_SECONDS`` (900), ``BATCH`` (50),
  ``FINAL_BACKUP_KEEP_DAYS`` (90), ``LINK_HOURS`` (72), ``MAIL_LOG_DAYS`` (7)
  (docs/provisioning.md)
- ``KYKLOS_BACKUP_REPOSITORY`` the restic repository of the hosting backups; default
  ``$KYKLOS_HOME/backups``; ``KYKLOS_BACKUP_PASSWORD`` its password (or in the vault)
- ``KYKLOS_CACHE_URL``   Django's cache (rendered portal lists and page parts); default
  ``locmemcache://`` (per process), or a shared one such as ``redis://127.0.0.1:6379/1``,
  which then also holds the sessions (in front of the database)
- ``KYKLOS_FRAGMENT_CACHE_URL`` the cache of rendered portal parts; default each process's
  memory (``locmemcache://kyklos-fragments?max_entries=2000``)
"""

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

from kyklos.config.environment import KyklosEnv, check_secret_key

DEMO_SECRET_KEY = "kyklos-demo-secret-key-do-not-use-in-production"  # noqa: S105

env = KyklosEnv()

BASE_DIR = Path(__file__).resolve().parent.parent
KYKLOS_HOME = Path(env.str("KYKLOS_HOME", default=str(Path.cwd() / "var"))).resolve()

SECRET_KEY = env.str("KYKLOS_SECRET_KEY", default=DEMO_SECRET_KEY)
DEBUG = env.bool("KYKLOS_DEBUG", default=SECRET_KEY == DEMO_SECRET_KEY)
check_secret_key(SECRET_KEY, demo_key=DEMO_SECRET_KEY, debug=DEBUG)

ALLOWED_HOSTS = env.list(
    "KYKLOS_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("KYKLOS_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "kyklos.accounts.admin_config.KyklosAdminConfig",  # django.contrib.admin behind 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django_tasks is not an installed app: it has no models, templates or commands, and
    # importing it costs every command ~40 ms (decision 0041). It is imported with the first
    # job enqueued; core runs its backend checks (``kyklos check``).
    "template_partials",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # Kyklos, lowest layer first (imports point up this list, never down).
    "kyklos.core",
    "kyklos.customers",
    "kyklos.accounts",
    "kyklos.catalog",
    "kyklos.notifications",
    "kyklos.billing",
    "kyklos.payments",
    "kyklos.projects",
    "kyklos.lifecycle",
    "kyklos.receivables",
    "kyklos.vault",
    "kyklos.devices",
    "kyklos.support",
    "kyklos.dns",  # DNS hosting on PowerDNS
    "kyklos.domains",  # registrations at the registries (EPP), per-TLD rules
    "kyklos.certificates",  # certificates by ACME
    "kyklos.provisioning",  # accounts on the provider's servers
    "kyklos.einvoicing",  # national e-invoicing: myDATA, KSeF
    "kyklos.intake",
    "kyklos.automation",
    "kyklos.portal",
    "kyklos.storefront",  # the public shop, sign-up and checkout
    "kyklos.console",  # the staff console
    "kyklos.api",
    "kyklos.seed",  # demo and benchmark data
    "kyklos.privacy",  # imports only kyklos.core
]

MIDDLEWARE = [
    "kyklos.core.request_log.RequestIdMiddleware",  # first: every log line has the request id
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kyklos.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kyklos.core.csp.CSPMiddleware",  # django-csp's, the plain policy built once
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kyklos.config.urls"
WSGI_APPLICATION = "kyklos.config.wsgi.application"

# django-ninja's Swagger UI page and its static files, served from here (no CDN, within the
# CSP; kyklos.api.v1.LocalSwagger) without making ninja an installed app: Django would import
# ninja and pydantic at every start, for every command (docs/performance.md, command start).
NINJA_DIR = Path(find_spec("ninja").submodule_search_locations[0])
STATICFILES_DIRS = [NINJA_DIR / "static"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kyklos.privacy.context_processors.cookie_consent",
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
# Rendered portal lists and page parts, keyed by what they show (kyklos.core.fragments,
# decision 0015): a per-process cache is correct, a shared one only saves more rendering.
CACHES = {
    "default": env.cache_url("KYKLOS_CACHE_URL", default="locmemcache://"),
    # The rendered parts themselves: read three or four times a page, so kept in each
    # process's memory even when the default cache is shared (decision 0040).
    "fragments": env.cache_url(
        "KYKLOS_FRAGMENT_CACHE_URL", default="locmemcache://kyklos-fragments?max_entries=2000"
    ),
}
# Sessions are read on every request: from a shared cache (Redis, memcached) when there is
# one, the database behind it (cached_db, decision 0040). A per-process cache would keep
# serving a session another process ended, so without a shared one they stay in the
# database.
if CACHES["default"]["BACKEND"] not in (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

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
    # Django's list of the 20,000 most common passwords (ASVS 5.0 V6.2.4 asks for 3,000).
    # No composition rules and no maximum length below 64 (V6.2.5, V6.2.9): the
    # all-digits validator is left out on purpose.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "kyklos.accounts.backends.LockoutBackend",  # django-axes: lockout after failures
    "kyklos.accounts.backends.AccountBackend",  # Django's ModelBackend, cheaper per request
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

KYKLOS_TLS = env.bool("KYKLOS_TLS", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("KYKLOS_SECURE_COOKIES", default=KYKLOS_TLS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
if KYKLOS_TLS:
    SECURE_HSTS_SECONDS = env.int("KYKLOS_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("KYKLOS_HSTS_SUBDOMAINS", default=False)
    SECURE_SSL_REDIRECT = env.bool("KYKLOS_SSL_REDIRECT", default=False)
if env.bool("KYKLOS_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Session timeouts (ASVS V7.3), enforced by kyklos.accounts.middleware; the cookie lives
# no longer than the absolute limit.
KYKLOS_SESSION_IDLE_MINUTES = env.int("KYKLOS_SESSION_IDLE_MINUTES", default=30)
KYKLOS_SESSION_MAX_HOURS = env.int("KYKLOS_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = KYKLOS_SESSION_MAX_HOURS * 3600
#: How long a typed password counts as fresh for changing the e-mail or two-factor.
KYKLOS_REAUTH_SECONDS = env.int("KYKLOS_REAUTH_SECONDS", default=300)
# django-axes: after this many failures (password or second factor) the name is locked.
AXES_FAILURE_LIMIT = env.int("KYKLOS_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KYKLOS_LOCKOUT_MINUTES", default=15))
# A name is locked after the failures, and so is an address (password spraying).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # kyklos.accounts keeps its own security log
AXES_LOCKOUT_CALLABLE = "kyklos.accounts.views.locked_out"
AXES_VERBOSE = False
#: Reverse proxies in front of Kyklos that append to X-Forwarded-For (0: none, use the
#: connection's address). Client IPs go to the security log and the lockout.
KYKLOS_TRUSTED_PROXIES = env.int("KYKLOS_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "kyklos.accounts.services.client_ip"
OTP_TOTP_ISSUER = env.str("KYKLOS_TOTP_ISSUER", default="Kyklos")
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

# Everything goes to standard error (gunicorn's error log, the journal under systemd), each
# line with the request id that the response's X-Request-ID header shows. Unhandled errors
# (django.request, 5xx) are logged with their traceback whatever KYKLOS_DEBUG says.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kyklos.core.request_log.RequestIdFilter"}},
    "formatters": {
        "kyklos": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "kyklos",
        }
    },
    "loggers": {
        "kyklos": {"handlers": ["console"], "level": env.str("KYKLOS_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
#: Optional error tracking: the dotted path of ``hook(request, exception, request_id)``,
#: called for every unhandled exception (kyklos.core.request_log).
KYKLOS_ERROR_HOOK = env.str("KYKLOS_ERROR_HOOK", default="")

# --- Kyklos -----------------------------------------------------------------
KYKLOS_COUNTRY = env.str("KYKLOS_COUNTRY", default="GR").upper()
KYKLOS_CURRENCY = env.str("KYKLOS_CURRENCY", default="EUR").upper()
KYKLOS_BATCH_SIZE = env.int("KYKLOS_BATCH_SIZE", default=5000)
KYKLOS_COPY_ROWS = env.int("KYKLOS_COPY_ROWS", default=10)
KYKLOS_VAULT_KEYS = env.str("KYKLOS_VAULT_KEYS", default="")
KYKLOS_VAULT_HANDOVER_DAYS = env.int("KYKLOS_VAULT_HANDOVER_DAYS", default=30)
# The daily run in chunks of customer ids; a Celery broker URL sends them to workers
# (docs/performance.md). The timeout bounds one chunk (and is the broker's redelivery).
KYKLOS_DAILY_CHUNK_CUSTOMERS = env.int("KYKLOS_DAILY_CHUNK_CUSTOMERS", default=50000)
KYKLOS_DAILY_BROKER = env.str("KYKLOS_DAILY_BROKER", default="")
KYKLOS_DAILY_CHUNK_TIMEOUT = env.int("KYKLOS_DAILY_CHUNK_TIMEOUT", default=3600)
KYKLOS_DAILY_QUEUE = env.str("KYKLOS_DAILY_QUEUE", default="kyklos-daily")
# Without a broker, the chunks run in this many local processes (0: one per CPU; PostgreSQL
# only, SQLite runs them one after another).
KYKLOS_DAILY_PROCESSES = env.int("KYKLOS_DAILY_PROCESSES", default=0)
# The days `kyklos automate` accepts (kyklos.automation.services.check_run_days).
KYKLOS_CATCH_UP_DAYS = env.int("KYKLOS_CATCH_UP_DAYS", default=366)
KYKLOS_CONFIRM_RANGE_DAYS = env.int("KYKLOS_CONFIRM_RANGE_DAYS", default=31)

#: The steps of the daily run, in the order they run. Each app registers its steps in its
#: ``daily`` module (``kyklos.core.registry``); the system check core.E001 fails when a
#: registered step is missing here or a name here is registered by no app. Consecutive
#: chunkable steps (the lifecycle's) run together, chunk by chunk; ``kyklos automate
#: --plan`` prints the plan.
KYKLOS_DAILY_STEPS = [
    # The lifecycle, per customer chunk: cancellations before anything is billed.
    "lifecycle.apply_cancellations",
    "lifecycle.issue_renewal_proformas",
    # Card on file: renewals due today (issued just now, or earlier) are charged after the
    # run's commit; the reminders come after, so a paid one is never sent (R3.4, R6.10).
    "payments.charge_due",
    "lifecycle.send_payment_reminders",
    "lifecycle.send_expiry_warnings",
    "lifecycle.suspend_expired",
    "lifecycle.terminate_expired",
    # Domains leave the one-size suspend/terminate above: their TLD's grace, redemption
    # and release (R4.2-R4.4); the registry's facts are asked for first (jobs after commit).
    "domains.sync",
    "domains.advance",
    "projects.expire_quotes",
    "projects.bill_package_overage",
    # R5.8, R5.9: after the day's renewals are billed, withdrawn products whose notice ends
    # today stop renewing; new prices are scheduled a month on and told.
    "support.product_withdrawal",
    "support.repricing",
    # After the lifecycle's suspensions and terminations.
    "receivables.run_collections",
    "receivables.month_end_interest",
    # After everything that issues tax documents: report them to the national systems.
    "einvoicing.transmit",
    # Zones still due are published; certificates inside their renewal window are renewed.
    "dns.publish",
    "certificates.renew",
    # After the suspensions and terminations: the day's backups (R5.2).
    "provisioning.backups",
    "support.sla_check",
    # R5.3: a closed year's availability; a month's account credit below 99.9 %.
    "support.uptime_credit",
    # Housekeeping: handover and retention of personal data.
    "intake.purge_quarantine",
    "vault.offer_handover",
    "privacy.requests",
    "vault.destroy_after_handover",
    "devices.purge_activity",
    "privacy.breaches",
    "provisioning.mail_logs",  # R5.7: mail-server logs kept 7 days
    "provisioning.usage",  # R2.5: usage read weekly; over-usage told, never suspended
    "privacy.retention",
    # Last: seal what the run logged into the audit trail's hash chain.
    "core.seal_audit_trail",
]
KYKLOS_PROVIDER = {
    "name": env.str("KYKLOS_PROVIDER_NAME", default="Kyklos Demo Hosting IKE"),
    "address": env.str("KYKLOS_PROVIDER_ADDRESS", default="Egnatia 100, 54623 Thessaloniki"),
    "vat_id": env.str("KYKLOS_PROVIDER_VAT_ID", default="EL094014201"),
    "email": env.str("KYKLOS_PROVIDER_EMAIL", default="billing@kyklos.localhost"),
}
# R7.4 standard hourly rate when no dated rate is set in the admin (projects.HourlyRate).
KYKLOS_HOURLY_RATE = env.str("KYKLOS_HOURLY_RATE", default="50.00")
# Billing documents (R6.1, R6.3, R6.8): number shape, VIES, provider details on documents.
KYKLOS_NUMBER_PATTERN = env.str("KYKLOS_NUMBER_PATTERN", default="{prefix}-{year}-{number:06d}")
KYKLOS_NUMBER_PREFIXES = env.dict("KYKLOS_NUMBER_PREFIXES", default={})
KYKLOS_VIES_CHECK = env.bool("KYKLOS_VIES_CHECK", default=False)
KYKLOS_VIES_TIMEOUT = env.float("KYKLOS_VIES_TIMEOUT", default=5.0)
KYKLOS_PEPPOL_ENDPOINT = env.str("KYKLOS_PEPPOL_ENDPOINT", default="")  # "scheme:id"
KYKLOS_PROVIDER.update(
    {
        "tax_office": env.str("KYKLOS_PROVIDER_TAX_OFFICE", default="ΦΑΕ Θεσσαλονίκης"),
        "registry": env.str("KYKLOS_PROVIDER_REGISTRY", default="GEMI 123456789000"),
        "phone": env.str("KYKLOS_PROVIDER_PHONE", default="+30 2310 000000"),
        "iban": env.str("KYKLOS_PROVIDER_IBAN", default="GR1601101250000000012300695"),
        "bic": env.str("KYKLOS_PROVIDER_BIC", default="ETHNGRAA"),
        "logo": env.str("KYKLOS_PROVIDER_LOGO", default=""),
        "city": env.str("KYKLOS_PROVIDER_CITY", default="Thessaloniki"),
        "postal_code": env.str("KYKLOS_PROVIDER_POSTAL_CODE", default="54623"),
        "street": env.str("KYKLOS_PROVIDER_STREET", default="Egnatia 100"),
    }
)
#: Years a billing document stays downloadable (R6.8, R9.4: Greece 5 years after the
#: end of the fiscal year).
KYKLOS_DOCUMENT_RETENTION_YEARS = env.int("KYKLOS_DOCUMENT_RETENTION_YEARS", default=5)
KYKLOS_PORTAL_URL = env.str("KYKLOS_PORTAL_URL", default="http://127.0.0.1:8000")
# The shop's sign-up and password reset (docs/storefront.md): links work once, until they
# expire; reset requests are counted per address and per client address in the cache.
KYKLOS_SIGNUP_LINK_HOURS = env.int("KYKLOS_SIGNUP_LINK_HOURS", default=48)
PASSWORD_RESET_TIMEOUT = 60 * env.int("KYKLOS_PASSWORD_RESET_MINUTES", default=60)
KYKLOS_PASSWORD_RESET_WINDOW = 3600
KYKLOS_PASSWORD_RESET_PER_ADDRESS = env.int("KYKLOS_PASSWORD_RESET_PER_ADDRESS", default=3)
KYKLOS_PASSWORD_RESET_PER_IP = env.int("KYKLOS_PASSWORD_RESET_PER_IP", default=10)
# Support desk: the address customers reply to (the intake mailbox).
KYKLOS_SUPPORT_EMAIL = env.str("KYKLOS_SUPPORT_EMAIL", default="support@kyklos.localhost")

# E-mail intake and the contact form (docs/intake.md).
KYKLOS_IMAP_URL = env.str("KYKLOS_IMAP_URL", default="")
KYKLOS_IMAP_DONE_FOLDER = env.str("KYKLOS_IMAP_DONE_FOLDER", default="")
KYKLOS_INTAKE = {
    "DEPARTMENT": env.str("KYKLOS_INTAKE_DEPARTMENT", default="technical"),
    "MAX_ATTACHMENT_BYTES": env.int("KYKLOS_INTAKE_MAX_ATTACHMENT_BYTES", default=25 * 2**20),
    "MAX_MESSAGE_BYTES": env.int("KYKLOS_INTAKE_MAX_MESSAGE_BYTES", default=50 * 2**20),
    "QUARANTINE_DAYS": env.int("KYKLOS_INTAKE_QUARANTINE_DAYS", default=30),
    "ACKS_PER_HOUR": env.int("KYKLOS_INTAKE_ACKS_PER_HOUR", default=5),
    "MAX_PER_HOUR": env.int("KYKLOS_INTAKE_MAX_PER_HOUR", default=30),
    "CONTACT_PER_HOUR": env.int("KYKLOS_CONTACT_PER_HOUR", default=5),
}

# Payments (R6.4): online providers are enabled when their keys are set.
KYKLOS_PAYMENTS = {
    "stripe_secret_key": env.str("KYKLOS_STRIPE_SECRET_KEY", default=""),
    "stripe_webhook_secret": env.str("KYKLOS_STRIPE_WEBHOOK_SECRET", default=""),
    "stripe_publishable_key": env.str("KYKLOS_STRIPE_PUBLISHABLE_KEY", default=""),
    # Empty: Stripe itself. A Stripe-compatible test server (localstripe) in tests and demos.
    "stripe_api_base": env.str("KYKLOS_STRIPE_API_BASE", default=""),
    # Stripe.js, loaded by the card pages; the pages' CSP allows its origin (and only there).
    "stripe_js_url": env.str("KYKLOS_STRIPE_JS_URL", default="https://js.stripe.com/v3/"),
    # Card on file (R6.10): a due renewal is charged on these days after its due date
    # (0 = the due date); a provider that cannot be reached is tried again after
    # card_charge_backoff seconds, doubling, at most card_charge_tries times per attempt.
    "card_retry_days": env.list("KYKLOS_CARD_RETRY_DAYS", cast=int, default=[0, 2, 4]),
    "card_charge_tries": env.int("KYKLOS_CARD_CHARGE_TRIES", default=5),
    "card_charge_backoff": env.int("KYKLOS_CARD_CHARGE_BACKOFF", default=600),
    "paypal_client_id": env.str("KYKLOS_PAYPAL_CLIENT_ID", default=""),
    "paypal_client_secret": env.str("KYKLOS_PAYPAL_CLIENT_SECRET", default=""),
    "paypal_webhook_id": env.str("KYKLOS_PAYPAL_WEBHOOK_ID", default=""),
    "paypal_sandbox": env.bool("KYKLOS_PAYPAL_SANDBOX", default=True),
    # Seconds a signed webhook stays acceptable; older ones are refused as replays.
    "webhook_tolerance": env.int("KYKLOS_WEBHOOK_TOLERANCE", default=300),
}
KYKLOS_BANK_ACCOUNT = {
    "holder": env.str("KYKLOS_BANK_HOLDER", default=KYKLOS_PROVIDER["name"]),
    "iban": env.str("KYKLOS_BANK_IBAN", default="GR1601101250000000012300695"),
    "bic": env.str("KYKLOS_BANK_BIC", default="ETHNGRAA"),
    "bank": env.str("KYKLOS_BANK_NAME", default="National Bank of Greece"),
}
# Privacy (R9.7): the data-protection officer or contact named in the privacy notice, who
# also gets the staff warnings about requests and breaches; the supervisory authority
# defaults to the one of KYKLOS_COUNTRY (GR, CY, PL known) unless named here.
KYKLOS_DPO = {
    "name": env.str("KYKLOS_DPO_NAME", default="Data Protection Officer"),
    "email": env.str("KYKLOS_DPO_EMAIL", default="privacy@kyklos.localhost"),
    "address": env.str("KYKLOS_DPO_ADDRESS", default=KYKLOS_PROVIDER["address"]),
}
# Consumer information (R12.4): where consumers may take a dispute out of court, by the
# provider's country, per language — on consumer documents and in the consumer terms. The
# EU online dispute-resolution platform closed on 20 July 2025 (Regulation (EU) 2024/3228),
# so the mention names the national ADR body (Directive 2013/11/EU art. 13), not the platform.
KYKLOS_CONSUMER_DISPUTES = {
    "GR": {
        "el": (
            "Εξωδικαστική επίλυση καταναλωτικών διαφορών: "
            "Συνήγορος του Καταναλωτή, www.synigoroskatanaloti.gr"
        ),
        "en": (
            "Out-of-court resolution of consumer disputes: "
            "the Hellenic Consumer Ombudsman, www.synigoroskatanaloti.gr"
        ),
        "pl": (
            "Pozasądowe rozwiązywanie sporów konsumenckich: "
            "Rzecznik Konsumenta (Grecja), www.synigoroskatanaloti.gr"
        ),
    },
    "CY": {
        "el": (
            "Εξωδικαστική επίλυση καταναλωτικών διαφορών: "
            "φορείς ΕΕΔ της Υπηρεσίας Προστασίας Καταναλωτή, www.consumer.gov.cy"
        ),
        "en": (
            "Out-of-court resolution of consumer disputes: "
            "the ADR bodies listed by the Consumer Protection Service, www.consumer.gov.cy"
        ),
        "pl": (
            "Pozasądowe rozwiązywanie sporów konsumenckich: "
            "podmioty ADR wskazane przez Służbę Ochrony Konsumentów (Cypr), www.consumer.gov.cy"
        ),
    },
    "PL": {
        "el": (
            "Εξωδικαστική επίλυση καταναλωτικών διαφορών: "
            "Wojewódzki Inspektor Inspekcji Handlowej, polubowne.uokik.gov.pl"
        ),
        "en": (
            "Out-of-court resolution of consumer disputes: "
            "the Voivodeship Inspector of Trade Inspection, polubowne.uokik.gov.pl"
        ),
        "pl": (
            "Pozasądowe rozwiązywanie sporów konsumenckich: "
            "Wojewódzki Inspektor Inspekcji Handlowej, polubowne.uokik.gov.pl"
        ),
    },
}
KYKLOS_SUPERVISORY_AUTHORITY = {
    "name": env.str("KYKLOS_AUTHORITY_NAME", default=""),
    "address": env.str("KYKLOS_AUTHORITY_ADDRESS", default=""),
    "url": env.str("KYKLOS_AUTHORITY_URL", default=""),
}

# National e-invoicing (docs/einvoicing.md): the channel classes by code, imported when a
# configuration (einvoicing.ChannelConfig, per seller country) uses them; and how the
# transmission jobs retry.
KYKLOS_EINVOICING_CHANNELS = {
    "mydata": "kyklos.einvoicing.channels.mydata.MyDataChannel",
    "ksef": "kyklos.einvoicing.channels.ksef.KsefChannel",
}
# Registry jobs of domains (decision 0028): attempts, exponential backoff, a job held by a
# worker that died is taken over after STALE_SECONDS, BATCH jobs per claim.
KYKLOS_DOMAINS = {
    "MAX_ATTEMPTS": env.int("KYKLOS_DOMAINS_MAX_ATTEMPTS", default=8),
    "BACKOFF_SECONDS": env.int("KYKLOS_DOMAINS_BACKOFF_SECONDS", default=60),
    "MAX_BACKOFF_SECONDS": env.int("KYKLOS_DOMAINS_MAX_BACKOFF_SECONDS", default=6 * 3600),
    "STALE_SECONDS": env.int("KYKLOS_DOMAINS_STALE_SECONDS", default=900),
    "BATCH": env.int("KYKLOS_DOMAINS_BATCH", default=50),
}
KYKLOS_PROVISIONING = {
    # Attempts before a job fails and opens a ticket for the technical department.
    "MAX_ATTEMPTS": env.int("KYKLOS_PROVISIONING_MAX_ATTEMPTS", default=5),
    "BACKOFF_SECONDS": env.int("KYKLOS_PROVISIONING_BACKOFF_SECONDS", default=60),
    "MAX_BACKOFF_SECONDS": env.int("KYKLOS_PROVISIONING_MAX_BACKOFF_SECONDS", default=3600),
    # A job "running" for longer than this was left by a dead worker: run again.
    "STALE_SECONDS": env.int("KYKLOS_PROVISIONING_STALE_SECONDS", default=900),
    "BATCH": env.int("KYKLOS_PROVISIONING_BATCH", default=50),
    "FINAL_BACKUP_KEEP_DAYS": env.int("KYKLOS_PROVISIONING_FINAL_BACKUP_KEEP_DAYS", default=90),
    "LINK_HOURS": env.int("KYKLOS_PROVISIONING_LINK_HOURS", default=72),
    "MAIL_LOG_DAYS": env.int("KYKLOS_PROVISIONING_MAIL_LOG_DAYS", default=7),  # R5.7
}
KYKLOS_BACKUP_REPOSITORY = Path(
    env.str("KYKLOS_BACKUP_REPOSITORY", default=str(KYKLOS_HOME / "backups"))
)
KYKLOS_BACKUP_PASSWORD = env.str("KYKLOS_BACKUP_PASSWORD", default="")
KYKLOS_EINVOICING = {
    # Attempts before a transmission is failed and waits for staff.
    "MAX_ATTEMPTS": env.int("KYKLOS_EINVOICING_MAX_ATTEMPTS", default=10),
    # Backoff after the n-th temporary failure: BACKOFF × 2^(n−1), at most MAX_BACKOFF.
    "BACKOFF_SECONDS": env.int("KYKLOS_EINVOICING_BACKOFF_SECONDS", default=60),
    "MAX_BACKOFF_SECONDS": env.int("KYKLOS_EINVOICING_MAX_BACKOFF_SECONDS", default=6 * 3600),
    # A transmission "sending" for longer than this was left by a crashed sender: resent.
    "STALE_SECONDS": env.int("KYKLOS_EINVOICING_STALE_SECONDS", default=900),
    # Transmissions a sender claims at once.
    "BATCH": env.int("KYKLOS_EINVOICING_BATCH", default=100),
}

# --- DNS hosting on PowerDNS (docs/dns.md, decision 0029) -----------------------------------
# The PowerDNS Authoritative HTTP API: its address (http://127.0.0.1:8081), API key and
# server id; checked when a zone is pushed (a bad value fails the push with one line).
KYKLOS_PDNS_API_URL = env.str("KYKLOS_PDNS_API_URL", default="http://127.0.0.1:8081")
KYKLOS_PDNS_API_KEY = env.str("KYKLOS_PDNS_API_KEY", default="")
KYKLOS_PDNS_SERVER_ID = env.str("KYKLOS_PDNS_SERVER_ID", default="localhost")
# The name servers of every hosted zone (apex NS, SOA primary); the registrar's default.
KYKLOS_DNS_NAMESERVERS = env.list(
    "KYKLOS_DNS_NAMESERVERS", default=["ns1.kyklos.localhost", "ns2.kyklos.localhost"]
)
KYKLOS_DNS_HOSTMASTER = env.str("KYKLOS_DNS_HOSTMASTER", default="hostmaster.kyklos.localhost")
# What the zone template's {web_ipv4} and {mail_host} stand for.
KYKLOS_DNS_WEB_IPV4 = env.str("KYKLOS_DNS_WEB_IPV4", default="192.0.2.10")
KYKLOS_DNS_MAIL_HOST = env.str("KYKLOS_DNS_MAIL_HOST", default="mail.kyklos.localhost")
KYKLOS_DNS_PUSH = {
    "MAX_ATTEMPTS": env.int("KYKLOS_DNS_PUSH_MAX_ATTEMPTS", default=8),
    "BACKOFF_SECONDS": env.int("KYKLOS_DNS_PUSH_BACKOFF_SECONDS", default=30),
    "MAX_BACKOFF_SECONDS": env.int("KYKLOS_DNS_PUSH_MAX_BACKOFF_SECONDS", default=3600),
    "STALE_SECONDS": env.int("KYKLOS_DNS_PUSH_STALE_SECONDS", default=300),
}

# --- Certificates by ACME (docs/certificates.md, decision 0030) ------------------------------
# The CA's ACME directory (Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory),
# the contact address of the provider's account, and a CA bundle to trust the directory's
# HTTPS with (empty: the system's; the tests trust pebble's).
KYKLOS_ACME_DIRECTORY = env.str(
    "KYKLOS_ACME_DIRECTORY", default="https://acme-staging-v02.api.letsencrypt.org/directory"
)
KYKLOS_ACME_EMAIL = env.str("KYKLOS_ACME_EMAIL", default="")
KYKLOS_ACME_CA_BUNDLE = env.str("KYKLOS_ACME_CA_BUNDLE", default="")
KYKLOS_CERTIFICATES = {
    # R5.1: renewals from this many days before expiry.
    "RENEW_DAYS": env.int("KYKLOS_CERTIFICATES_RENEW_DAYS", default=30),
    "MAX_ATTEMPTS": env.int("KYKLOS_CERTIFICATES_MAX_ATTEMPTS", default=6),
    "BACKOFF_SECONDS": env.int("KYKLOS_CERTIFICATES_BACKOFF_SECONDS", default=300),
    "MAX_BACKOFF_SECONDS": env.int("KYKLOS_CERTIFICATES_MAX_BACKOFF_SECONDS", default=6 * 3600),
    "STALE_SECONDS": env.int("KYKLOS_CERTIFICATES_STALE_SECONDS", default=900),
    "ORDER_TIMEOUT_SECONDS": env.int("KYKLOS_CERTIFICATES_ORDER_TIMEOUT_SECONDS", default=90),
}
