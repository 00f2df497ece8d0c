"""Django settings, read from environment variables (12-factor).

Every setting an operator may change comes from the environment; the defaults
give a working embedded installation: an SQLite file in ``data/`` of the
checkout, Japanese pages, mail printed to the console.
"""

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("TSUNAGU_DATA_DIR", REPO_DIR / "data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key serves development and tests only; production sets SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-development-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "tsunagu.accounts",
    "tsunagu.skills",
    "tsunagu.audit",
    "tsunagu.notifications",
    "tsunagu.work",
    "tsunagu.process",
    "tsunagu.insights",
    "tsunagu.matching",
    "tsunagu.payments",
    "tsunagu.api",
    "tsunagu.bench",
    "tsunagu.web",
    "tsunagu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tsunagu.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "tsunagu.urls"
WSGI_APPLICATION = "tsunagu.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
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
                "csp.context_processors.nonce",
                "tsunagu.notifications.context_processors.notification_bell",
            ],
        },
    }
]


def database_settings() -> dict[str, Any]:
    """The default database: DATABASE_URL, else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        if "postgresql" in str(config.get("ENGINE", "")):
            # psycopg prepares a statement after this many runs on one
            # connection. Django's cursors bind on the client and are never
            # prepared; the ledger's hot statements bind on the server
            # (tsunagu.payments.ledger), so only they are.
            config.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "tsunagu.sqlite3"),
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers
            # queue on busy_timeout instead of failing mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON"
            ),
        },
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
    }


DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [REPO_DIR / "locale", BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Deliveries and other private files: never under STATIC_ROOT or MEDIA_ROOT,
# served only through views that check who asks.
TSUNAGU_PRIVATE_DIR = Path(os.environ.get("TSUNAGU_PRIVATE_DIR", DATA_DIR / "private"))
TSUNAGU_UPLOAD_MAX_BYTES = int(os.environ.get("TSUNAGU_UPLOAD_MAX_BYTES", str(50 * 1024 * 1024)))
# The platform's own qualified invoice issuer number (T + 13 digits), printed
# on the fee invoices in workers' statements.
TSUNAGU_INVOICE_NUMBER = os.environ.get("TSUNAGU_INVOICE_NUMBER", "")
# Days a client has to review a delivery before it is approved automatically.
TSUNAGU_REVIEW_DAYS = int(os.environ.get("TSUNAGU_REVIEW_DAYS", "14"))
# Days a client has to review a task answer before it is approved automatically,
# and hours a worker has to answer a claimed unit before the claim lapses.
TSUNAGU_TASK_REVIEW_DAYS = int(os.environ.get("TSUNAGU_TASK_REVIEW_DAYS", "7"))
TSUNAGU_TASK_CLAIM_HOURS = int(os.environ.get("TSUNAGU_TASK_CLAIM_HOURS", "24"))
# Days after a competition's deadline for the client to name winners; then the
# sweep closes it and refunds every prize nobody won.
TSUNAGU_COMPETITION_AWARD_DAYS = int(os.environ.get("TSUNAGU_COMPETITION_AWARD_DAYS", "14"))

# Payouts to workers' banks: the smallest withdrawal, the transfer fee taken
# from each payout (consumption tax included), and how many days a newly
# registered bank account's payouts wait for an operator's review.
TSUNAGU_PAYOUT_MINIMUM_YEN = int(os.environ.get("TSUNAGU_PAYOUT_MINIMUM_YEN", "1000"))
TSUNAGU_PAYOUT_TRANSFER_FEE_YEN = int(os.environ.get("TSUNAGU_PAYOUT_TRANSFER_FEE_YEN", "100"))
TSUNAGU_PAYOUT_REVIEW_DAYS = int(os.environ.get("TSUNAGU_PAYOUT_REVIEW_DAYS", "7"))


def development_field_key(secret_key: str) -> str:
    """A Fernet key derived from ``secret_key``: for development and tests only."""
    digest = hashlib.sha256(b"tsunagu-field-key:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


# Fernet keys that encrypt bank details at rest, kept outside the database:
# TSUNAGU_FIELD_KEY, comma-separated; the first encrypts, all decrypt (add a
# new key first, run `tsunagu rotate-field-keys`, then drop the old one).
# Without it, a development installation (DEBUG, or no SECRET_KEY of its own,
# as `make demo` and the tests run) derives a development key from the
# development SECRET_KEY, which `tsunagu check --deploy` reports; an
# installation with its own SECRET_KEY and DEBUG off is production and
# refuses to start without the variable.
TSUNAGU_FIELD_KEYS = env_list("TSUNAGU_FIELD_KEY", "")
TSUNAGU_FIELD_KEY_IS_DEVELOPMENT = not TSUNAGU_FIELD_KEYS
if TSUNAGU_FIELD_KEY_IS_DEVELOPMENT:
    if "SECRET_KEY" in os.environ and not DEBUG:
        raise ImproperlyConfigured(
            "TSUNAGU_FIELD_KEY is not set: production needs its own key to encrypt bank "
            "details (generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)"
        )
    TSUNAGU_FIELD_KEYS = [development_field_key(SECRET_KEY)]

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tsunagu <noreply@tsunagu.localhost>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Strict policy: scripts only from our own origin, no inline code.
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

SESSION_COOKIE_HTTPONLY = True
# Behind HTTPS in production set SECURE_COOKIES=1.
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE

# How long an email verification link stays valid.
EMAIL_VERIFICATION_MAX_AGE_SECONDS = 3 * 24 * 3600
# Every demo account signs in with this password (shown on the sign-in page
# of a demo installation only).
TSUNAGU_DEMO_PASSWORD = os.environ.get("TSUNAGU_DEMO_PASSWORD", "tsunagu-demo-2026")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
