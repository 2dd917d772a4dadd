"""Settings, read from the environment.

Everything that differs between a laptop and production comes from an
environment variable; the defaults are safe (DEBUG off) and give an embedded
SQLite database under ``var/`` so that ``make run`` needs no server.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from patron.core.secret_key import SecretKeyUnavailable, installation_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PATRON_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Made once per installation and kept in the var directory (not in git):
    # see patron.core.secret_key.
    try:
        SECRET_KEY = installation_key(VAR_DIR)
    except SecretKeyUnavailable as exc:
        if not DEBUG:
            raise ImproperlyConfigured(
                f"SECRET_KEY is not set and no key could be kept in PATRON_VAR_DIR ({exc}). "
                "Set SECRET_KEY in the environment, or make PATRON_VAR_DIR writable."
            ) from None
        # Development only: a key for this process; sessions end with it.
        SECRET_KEY = secrets.token_urlsafe(50)

# Tests add "testserver" themselves (django.test.utils.setup_test_environment).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "patron.core.admin_apps.PatronAdminConfig",  # django.contrib.admin, scoped to a shop
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "patron.core",
    "patron.members",
    "patron.events",
    "patron.messaging",
    "patron.orders",
    "patron.rules",
    "patron.points",
    "patron.tiers",
    "patron.promotions",
    "patron.rewards",
    "patron.assistant",
    "patron.service",
    "patron.campaigns",
    "patron.portal",
    "patron.console",
    "patron.demo",
]

MIDDLEWARE = [
    "patron.core.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "patron.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "patron.core.middleware.ApiBodySizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "patron.core.permissions.CurrentShopMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out operator sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "patron.urls"
WSGI_APPLICATION = "patron.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "patron" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "patron.portal.context.portal",
                "patron.core.permissions.operator_shop",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'patron.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so the web process
    # and the task worker queue up instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("SQLITE_TEST_NAME") or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background tasks (Django's tasks API via django-tasks) -----------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "patron" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security defaults --------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# SECURE_COOKIES=1 (README) marks the session, CSRF and language cookies
# Secure: browsers then send them over HTTPS only. Off by default because
# `make run` serves plain HTTP on 127.0.0.1.
SECURE_COOKIES = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOGIN_URL = "/admin/login/"

# --- Operator sign-in throttling (django-axes; docs/decisions/sign-in-throttling.md) ---
# The console and the admin sign operators in through Django's auth; axes counts
# failures per user name and per client address and refuses both sign-in pages
# while either is over the limit, the right password included.
# Axes first (it refuses a locked-out operator before the password is checked),
# then Django's model backend with permissions per shop (operators belong to
# shops: docs/decisions/operator-shops.md).
AUTHENTICATION_BACKENDS = [
    "patron.core.signin.OperatorSignInBackend",
    "patron.core.permissions.ShopRoleBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("PATRON_OPERATOR_SIGNIN_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=int(os.environ.get("PATRON_OPERATOR_SIGNIN_LOCK_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "patron.core.client.client_address"
AXES_LOCKOUT_CALLABLE = "patron.console.views.base.signin_locked_response"
AXES_HTTP_RESPONSE_CODE = 429

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Patron -----------------------------------------------------------------
# The largest API request body accepted, in bytes (a batch of 1,000 events fits).
PATRON_API_MAX_BODY_BYTES = int(os.environ.get("PATRON_API_MAX_BODY_BYTES", str(4 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = PATRON_API_MAX_BODY_BYTES
# Events dated further ahead than this are refused as clock errors.
PATRON_EVENT_MAX_FUTURE_SECONDS = int(os.environ.get("PATRON_EVENT_MAX_FUTURE_SECONDS", "300"))
# The batch endpoint applies plain order.paid events set-based (ingest.bulk);
# off, every event of a batch goes through the per-event pipeline.
PATRON_BATCH_PAID_LANE = os.environ.get("PATRON_BATCH_PAID_LANE", "1") == "1"
# The composition root, named here so the apps below it never import it:
# the event pipeline the events app runs, and the job table the scheduler reads.
PATRON_EVENT_PIPELINE = "patron.pipeline.run_pipeline"
PATRON_SCHEDULE = "patron.schedule.SCHEDULE"
PATRON_DEFAULT_CURRENCY = os.environ.get("PATRON_DEFAULT_CURRENCY", "CNY")
# The shop whose members sign in to the portal with a password (by name; default: the first).
PATRON_PORTAL_SHOP = os.environ.get("PATRON_PORTAL_SHOP", "")
# Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed
# when counting sign-in failures per client address (patron.core.client). Empty:
# the header is ignored and the peer address (REMOTE_ADDR) is the client.
PATRON_TRUSTED_PROXIES = env_list("PATRON_TRUSTED_PROXIES")
for _proxy in PATRON_TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start, not silently

# --- E-mail -------------------------------------------------------------------
# With EMAIL_HOST set, mail goes out over SMTP; without it (a laptop running
# `make run`) messages are printed to the console instead of failing.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Patron <no-reply@localhost>")

# SMS gateway and webhooks (docs/messaging.md). Unset, SMS only go to the log.
PATRON_SMS: dict[str, object] | None = None
# The bearer token the SMS gateway sends with inbound replies (POST /sms/inbound/);
# unset, the endpoint answers 404.
PATRON_SMS_INBOUND_TOKEN = os.environ.get("PATRON_SMS_INBOUND_TOKEN", "")
if os.environ.get("PATRON_SMS_BACKEND"):
    try:
        _sms_options = json.loads(os.environ.get("PATRON_SMS_OPTIONS") or "{}")
    except ValueError as exc:
        raise ImproperlyConfigured("PATRON_SMS_OPTIONS must be a JSON object") from exc
    if not isinstance(_sms_options, dict):
        raise ImproperlyConfigured("PATRON_SMS_OPTIONS must be a JSON object")
    PATRON_SMS = {"BACKEND": os.environ["PATRON_SMS_BACKEND"], **_sms_options}
PATRON_WEBHOOK_ALLOW_PRIVATE = env_bool("PATRON_WEBHOOK_ALLOW_PRIVATE", DEBUG)
PATRON_WEBHOOK_TIMEOUT = float(os.environ.get("PATRON_WEBHOOK_TIMEOUT", "10"))

# --- Messaging (patron.messaging) -----------------------------------------------
# Where members reach this Patron from outside: the one-click unsubscribe links.
PATRON_PUBLIC_URL = os.environ.get("PATRON_PUBLIC_URL", "http://localhost:8000")
# Sender of member messages (falls back to DEFAULT_FROM_EMAIL).
PATRON_MESSAGING_FROM_EMAIL = os.environ.get("PATRON_MESSAGING_FROM_EMAIL", "")
# The service desk's SMTP listener (``patron mail-intake``).
PATRON_MAIL_INTAKE_HOST = os.environ.get("PATRON_MAIL_INTAKE_HOST", "127.0.0.1")
PATRON_MAIL_INTAKE_PORT = int(os.environ.get("PATRON_MAIL_INTAKE_PORT", "2525"))
# A transiently failing message is tried this many times in all, backing off
# exponentially from PATRON_MESSAGING_RETRY_SECONDS, then marked failed.
PATRON_MESSAGING_MAX_ATTEMPTS = int(os.environ.get("PATRON_MESSAGING_MAX_ATTEMPTS", "6"))
PATRON_MESSAGING_RETRY_SECONDS = int(os.environ.get("PATRON_MESSAGING_RETRY_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "patron.core.logging.MaskPiiFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines carry query strings (searched phone numbers):
        # through the masking handler instead of Django's own unfiltered one.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Uploaded files (ticket attachments) go through the default storage, here.
MEDIA_ROOT = Path(os.environ.get("PATRON_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
# The service desk: the largest attachment accepted on a ticket, in bytes.
PATRON_SERVICE_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("PATRON_SERVICE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
)
