"""Settings for QMS Portal, read from environment variables.

With no variables set the portal runs embedded: SQLite under ``var/``, Celery tasks run eagerly
in-process, e-mail goes to the console. Production sets ``DATABASE_URL`` (PostgreSQL),
``REDIS_URL`` (Celery broker and cache), ``SECRET_KEY``, ``ALLOWED_HOSTS`` and the e-mail settings;
with ``DEBUG`` unset the secure defaults apply (HTTPS-only cookies, HSTS, SSL redirect).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("QMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name, default=()):
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or list(default)


def env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from error


def _embedded_secret_key():
    """A random key kept under var/, so sessions survive a restart of the embedded portal."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and "DATABASE_URL" in os.environ:
        raise ImproperlyConfigured(
            "Set SECRET_KEY: production (DATABASE_URL set) needs its own key."
        )
    SECRET_KEY = _embedded_secret_key()

# The key that seals published audit-trail chain heads (qms_portal.chain_seal). It is never in
# the database, so someone who rewrites the database cannot reseal. Production sets it (the same
# on every node): QMS_CHAIN_SEAL_KEY, or QMS_CHAIN_SEAL_KEY_FILE naming a file that holds it.
QMS_CHAIN_SEAL_KEY = os.environ.get("QMS_CHAIN_SEAL_KEY", "")
QMS_CHAIN_SEAL_KEY_FILE = Path(
    os.environ.get("QMS_CHAIN_SEAL_KEY_FILE", VAR_DIR / "chain_seal_key")
)
if (
    not QMS_CHAIN_SEAL_KEY
    and "QMS_CHAIN_SEAL_KEY_FILE" not in os.environ
    and not DEBUG
    and "DATABASE_URL" in os.environ
):
    raise ImproperlyConfigured(
        "Set QMS_CHAIN_SEAL_KEY or QMS_CHAIN_SEAL_KEY_FILE: production (DATABASE_URL set) seals "
        "its audit-trail heads with a key kept outside the database, the same on every node."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "guardian",
    "simple_history",
    "qms_portal.organisation",
    "documents",
    "processes",
    "audits",
    "audits.auditing",
    "audits.review",
    "audits.capa",
    "audits.packs",
    "assessment",
    "services",
    "retention",
    "django_linear_migrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qms_portal.security.SecurityHeadersMiddleware",
    # Before anything reads the session, the user or the database: NUL is a 500 in PostgreSQL.
    "qms_portal.security.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qms_portal.organisation.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qms_portal.security.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "qms_portal.errors.RuleErrorMiddleware",
]

ROOT_URLCONF = "qms_portal.urls"
WSGI_APPLICATION = "qms_portal.wsgi.application"
ASGI_APPLICATION = "qms_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qms_portal.organisation.context_processors.portal",
            ],
            # The status badge and history reasons, available in every template without {% load %}.
            "builtins": ["qms_portal.templatetags"],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL names another (PostgreSQL in production).
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'qms.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organisation.Person"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: anonymous visitors never hold object permissions

# Failed sign-in throttling (qms_portal/organisation/throttling.py), counted in the cache: this
# many failures lock an account for the window; an address (an office NAT) gets a much higher
# limit, past which it backs off (1 s, 2 s, 4 s … between attempts) instead of being locked.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 50)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)

# Redis: Celery broker and shared cache. Without it tasks run eagerly in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "qms",
            # A Redis that is down must cost a request milliseconds, not seconds: short time-outs,
            # no retries (qms_portal/resilient_cache.py falls back and tries again in 5 s).
            "OPTIONS": {
                "socket_connect_timeout": 0.5,
                "socket_timeout": 1,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# max_retries 0: a web request never waits on a broker that is down; the outbox sweep resends.
# visibility_timeout stays an hour: it must outlast the longest countdown (e-mail retries back off
# up to 3600 s) or those tasks are delivered twice. A pack build whose worker died does not wait
# for it: its lease goes stale and the beat sweep queues it again (QMS_PACK_LEASE_STALE_SECONDS);
# the old message, redelivered later, names a build number that has moved on and does nothing.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}

# The outbox (qms_portal/outbox.py): a task that fails this many times is set aside (dead-lettered,
# shown in the admin, retried from there); between failures it waits OUTBOX_BACKOFF_SECONDS,
# doubled each time, at most OUTBOX_MAX_BACKOFF_SECONDS. A broker outage is not the task failing.
QMS_OUTBOX_MAX_ATTEMPTS = env_int("QMS_OUTBOX_MAX_ATTEMPTS", 8)
QMS_OUTBOX_BACKOFF_SECONDS = env_int("QMS_OUTBOX_BACKOFF_SECONDS", 30)
QMS_OUTBOX_MAX_BACKOFF_SECONDS = env_int("QMS_OUTBOX_MAX_BACKOFF_SECONDS", 3600)

# Evidence-pack builds hold a lease: the worker renews it every QMS_PACK_HEARTBEAT_SECONDS; one not
# renewed for QMS_PACK_LEASE_STALE_SECONDS lost its worker and is queued again by the beat sweep,
# up to QMS_PACK_BUILD_ATTEMPTS tries, then marked failed with the reason.
QMS_PACK_HEARTBEAT_SECONDS = env_int("QMS_PACK_HEARTBEAT_SECONDS", 15)
QMS_PACK_LEASE_STALE_SECONDS = env_int("QMS_PACK_LEASE_STALE_SECONDS", 90)
QMS_PACK_BUILD_ATTEMPTS = env_int("QMS_PACK_BUILD_ATTEMPTS", 3)
CELERY_TIMEZONE = "Asia/Shanghai"

# E-mail: the console unless EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST))
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "QMS Portal <qms@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Administrators", a) for a in env_list("ADMIN_EMAILS")]

# Internationalisation: Simplified Chinese and English.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["qms_portal.formats"]  # dates as each language writes them
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", default=not DEBUG and "DATABASE_URL" in os.environ)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Sessions, cookies and transport security: secure unless DEBUG is on.
SECURE = not DEBUG
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # absolute limit
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)  # signed out after this idle time
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=SECURE)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=SECURE)
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "qms_portal.views.csrf_failure"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # form fields; files are limited separately
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# simple-history: who changed what, and why.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # In-process (eager) tasks would log every run to the console; a real worker logs them.
        "celery.app.trace": {"level": "WARNING" if not REDIS_URL else "INFO"},
    },
}

QMS_AGENCY_NAME = os.environ.get("QMS_AGENCY_NAME", "")
SERIALIZATION_MODULES = {  # backups: JSON Lines since 2026-12, JSON still restores
    "jsonl-full": "qms_portal.fullprecision_jsonl",
    "json-full": "qms_portal.fullprecision_json",
}

PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# Superseded and obsolete revisions: "stamped" serves them to readers stamped as no longer in
# force; "editors" keeps them from everyone but the document's editors (documents/downloads.py).
QMS_RETIRED_REVISION_DOWNLOADS = os.environ.get("QMS_RETIRED_REVISION_DOWNLOADS", "stamped")
if QMS_RETIRED_REVISION_DOWNLOADS not in ("stamped", "editors"):
    raise ImproperlyConfigured(
        "QMS_RETIRED_REVISION_DOWNLOADS must be 'stamped' or 'editors', "
        f"not {QMS_RETIRED_REVISION_DOWNLOADS!r}."
    )
# Largest accepted upload (documents, evidence, photos), in bytes.
QMS_UPLOAD_MAX_BYTES = env_int("QMS_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
# Largest accepted image, in pixels (checked from the header before decoding; qms_portal/uploads.py).
QMS_IMAGE_MAX_PIXELS = env_int("QMS_IMAGE_MAX_PIXELS", 40_000_000)
# Time (seconds) and memory (MB beyond the forking process) for work on untrusted files, each run
# in a bounded child process (qms_portal/bounded.py): upload inspection (PDF check, image
# re-encoding), the controlled-copy stamp of a download, text extraction for search.
QMS_UPLOAD_INSPECTION_TIMEOUT_SECONDS = env_int("QMS_UPLOAD_INSPECTION_TIMEOUT_SECONDS", 20)
QMS_UPLOAD_INSPECTION_MEMORY_MB = env_int("QMS_UPLOAD_INSPECTION_MEMORY_MB", 768)
QMS_STAMP_TIMEOUT_SECONDS = env_int("QMS_STAMP_TIMEOUT_SECONDS", 20)
QMS_STAMP_MEMORY_MB = env_int("QMS_STAMP_MEMORY_MB", 768)
QMS_TEXT_EXTRACTION_TIMEOUT_SECONDS = env_int("QMS_TEXT_EXTRACTION_TIMEOUT_SECONDS", 60)
QMS_TEXT_EXTRACTION_MEMORY_MB = env_int("QMS_TEXT_EXTRACTION_MEMORY_MB", 768)

# Citizen-service abuse limits per client address and hour (cache-backed; Redis in production).
SERVICES_SUBMIT_LIMIT = env_int("SERVICES_SUBMIT_LIMIT", 10)
SERVICES_TRACK_FAILURE_LIMIT = env_int("SERVICES_TRACK_FAILURE_LIMIT", 30)
SERVICES_RATE_LIMIT = env_int("SERVICES_RATE_LIMIT", 20)
