"""All settings, from environment variables only (see README "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from lib.env import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.getenv("FUGONG_VAR_DIR", BASE_DIR / "var"))
try:  # the SQLite file and collected static files live here; a read-only deployment sets its own
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
except OSError:
    pass

DEBUG = envbool("FUGONG_DEBUG", "False")
# FUGONG_HTTPS marks a production deployment served over TLS: secure cookies, HSTS, redirect.
HTTPS = envbool("FUGONG_HTTPS", "False")
SECRET_KEY = os.getenv("FUGONG_SECRET_KEY", "")
if not SECRET_KEY:
    if HTTPS:
        raise RuntimeError("FUGONG_SECRET_KEY is required when FUGONG_HTTPS is on")
    # Only for a local checkout; production sets FUGONG_SECRET_KEY.
    SECRET_KEY = "fugong-local-development-key-not-for-production-use-0123456789"  # noqa: S105

ALLOWED_HOSTS = envlist("FUGONG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("FUGONG_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "axes",
    "audit",
    "regions",
    "industries",
    "workdays",
    "registry",
    "accounts",
    "dispatch",
    "stats",
    "problems",
    "notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "fugong.uploads.UploadLimitMiddleware",  # before CSRF, which reads the body
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lib.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fugong.urls"
WSGI_APPLICATION = "fugong.wsgi.application"

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
                "notify.context_processors.inbox",
                "dispatch.context_processors.settings_link",
            ],
        },
    }
]

DATABASE_URL = os.getenv("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fugong.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=envint("FUGONG_CONN_MAX_AGE", "60"), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL, IMMEDIATE transactions and a busy timeout: concurrent writers wait instead of
    # failing with "database is locked".
    DATABASES["default"]["ENGINE"] = "lib.sqlite"  # writers of one process take turns
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database host that does not answer (a network gone, not a refused connection) fails the
    # request with a 503 after these seconds instead of holding a worker indefinitely.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", envint("FUGONG_DB_CONNECT_TIMEOUT", "5")
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrUsccBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
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
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: idle timeout through SESSION_SAVE_EVERY_REQUEST, absolute limit in the middleware.
SESSION_COOKIE_AGE = envint("FUGONG_SESSION_IDLE_SECONDS", "7200")
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = envint("FUGONG_SESSION_ABSOLUTE_SECONDS", "43200")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login throttling: lock the account (not the address) after N failures, so many officials
# behind one NAT are not locked out by one of them; forwarded-for headers are ignored.
AXES_FAILURE_LIMIT = envint("FUGONG_LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("FUGONG_LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 suggests locking by address too; we don't, on purpose (see the comment above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("FUGONG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "node_modules")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Served from the finders (node_modules included) so no collectstatic step is needed.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"

# Uploads: bounded in size; spreadsheets are also checked for their inflated size.
FUGONG_UPLOAD_MAX_BYTES = envint("FUGONG_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))
FUGONG_IMPORT_MAX_ROWS = envint("FUGONG_IMPORT_MAX_ROWS", "200000")
DATA_UPLOAD_MAX_MEMORY_SIZE = FUGONG_UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Problems: attachments (type sniffed, size bounded, stored under generated names) and deadlines,
# which end at this local time of a working day.
FUGONG_ATTACHMENT_MAX_BYTES = envint("FUGONG_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))
FUGONG_PROBLEM_DEADLINE_TIME = os.getenv("FUGONG_PROBLEM_DEADLINE_TIME", "18:00")
FUGONG_PROBLEM_CLOSE_AFTER_WORKDAYS = envint("FUGONG_PROBLEM_CLOSE_AFTER_WORKDAYS", "5")
# Notifications (notify/). E-mail goes out over SMTP when FUGONG_EMAIL_HOST is set; without a
# host, a development server (FUGONG_DEBUG) prints mails on the worker's console and a
# production one makes no e-mail deliveries at all (the in-app inbox always works).
EMAIL_HOST = os.getenv("FUGONG_EMAIL_HOST", "")
EMAIL_PORT = envint("FUGONG_EMAIL_PORT", "587")
EMAIL_HOST_USER = os.getenv("FUGONG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("FUGONG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("FUGONG_EMAIL_USE_TLS", "True")
DEFAULT_FROM_EMAIL = os.getenv("FUGONG_EMAIL_FROM", "fugong@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
FUGONG_EMAIL = bool(EMAIL_HOST) or DEBUG
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Links in e-mails and group messages point here.
FUGONG_SITE_URL = os.getenv("FUGONG_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# A slow endpoint cannot hold the worker longer than this per request.
FUGONG_NOTIFY_TIMEOUT_SECONDS = envint("FUGONG_NOTIFY_TIMEOUT_SECONDS", "5")
EMAIL_TIMEOUT = FUGONG_NOTIFY_TIMEOUT_SECONDS
# Retries back off from 1 minute to 1 hour; after this many attempts a delivery is given up.
FUGONG_NOTIFY_MAX_ATTEMPTS = envint("FUGONG_NOTIFY_MAX_ATTEMPTS", "24")
# DingTalk and WeCom accept 20 messages a minute per robot.
FUGONG_ROBOT_RATE_PER_MINUTE = envint("FUGONG_ROBOT_RATE_PER_MINUTE", "20")

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("FUGONG_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if envbool("FUGONG_BEHIND_TLS_PROXY", "False"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("FUGONG_LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "WARNING"}},
}
