"""Settings for the rectification ledger: one module, driven by environment variables.

Every value that differs between a developer's laptop and a production server is read from the
environment through the helpers below, which fail loudly on values they do not understand instead
of silently falling back to a default.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name, default=()):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set DEBUG=1 for local development, "
            "or give the server a long random SECRET_KEY."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure")
):
    # Django's own strength rule (security.W009), enforced instead of warned about: a short or
    # repetitive key lets anyone forge sessions and password-reset links.
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak: give at least 50 characters with 5 different ones, for example "
        "from: python -c 'import secrets; print(secrets.token_urlsafe(64))'."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_htmx",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "ledger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.security.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.security.SessionLimitsMiddleware",
    "core.security.RefuseNulBytesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"

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
            ],
        },
    },
]

# SQLite by default (a file beside the project); DATABASE_URL=postgres://... selects PostgreSQL.
# Connections persist for a minute (CONN_MAX_AGE seconds; 0 opens one per request): opening a
# PostgreSQL connection costs 6-34 ms, a page's whole budget. The health check gives a request a
# fresh connection when the kept one died (a database restart) instead of failing it.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction begins, so two writers queue instead of
    # one failing with "database is locked" when it tries to upgrade a read lock mid-transaction.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    # Tests use a file too, not the in-memory default: in-memory databases shared between
    # threads lock whole tables instead of waiting, unlike the file the product runs on.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("PG_JIT", False):
    # No JIT compilation: the ledger's queries are short, but their correlated subqueries (scope,
    # work queue) push the planner's cost estimates over jit_above_cost, and compiling then costs
    # 0.5-7 s a query for a query that runs in 30-70 ms (measured at 100,000 items: the work
    # queue's count in the menu went from 0.7 s to 0.03-0.07 s). PG_JIT=1 turns it back on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The REST API (`ledger.api`, at /api/v1/): session (the web's, CSRF enforced) or per-user
# token authentication, the web's permissions and scopes, JSON only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ledger.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "ledger.api.throttles.TokenRateThrottle",
        "ledger.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "ledger.api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ledger.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "整改台账 API",
    "DESCRIPTION": "The rectification ledger's REST API (version 1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ledger.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrganizationKindEnum": "core.models.Organization.Kind",
        "ItemKindEnum": "ledger.models.Item.Kind",
        "ItemStatusEnum": "ledger.models.Item.Status",
        "ExtensionRequestStatusEnum": "ledger.models.ExtensionRequest.Status",
    },
}
# Requests a minute the API answers for one token, and for one signed-in person whatever the
# token or session (DRF's throttles; beyond, 429 with Retry-After).
LEDGER_API_TOKEN_RATE = os.environ.get("LEDGER_API_TOKEN_RATE") or "120/min"
LEDGER_API_USER_RATE = os.environ.get("LEDGER_API_USER_RATE") or "300/min"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Bootstrap comes from the xstatic-bootstrap package (no CDN): served as /static/bootstrap/….
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_COMPRESS", True)
            # Hashed names without the pre-compressed copies (collectstatic in seconds, not minutes).
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        )
    },
}

# Sessions (`core.security.SessionLimitsMiddleware`): signed out after this many idle minutes, and
# this many hours after signing in whatever the activity (phones are shared between shifts).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60

# HTTPS (see README, Deployment): secure cookies, the redirect from http://, HSTS (seconds; 0 is
# off, turn it on once HTTPS works: browsers remember it) and the header a proxy that ends TLS
# sets (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto: only behind a proxy that always sets it).
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _header = os.environ["SECURE_PROXY_SSL_HEADER"].strip()
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Audit history: reasons can be long (a return reason, a withdrawal), and reverting from the
# admin would bypass the workflow, so it is switched off.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# Evidence (佐证材料): the largest file accepted, in megabytes.
LEDGER_EVIDENCE_MAX_MB = env_int("LEDGER_EVIDENCE_MAX_MB", 20)
# ...the files of one post together, and all the evidence of one item (`check_evidence_totals`).
LEDGER_EVIDENCE_REQUEST_MAX_MB = env_int("LEDGER_EVIDENCE_REQUEST_MAX_MB", 50)
LEDGER_EVIDENCE_ITEM_MAX_MB = env_int("LEDGER_EVIDENCE_ITEM_MAX_MB", 200)

# Spreadsheet import: uploads wait in this folder (never under MEDIA_ROOT) between preview and
# confirmation; the largest file and the most rows accepted.
LEDGER_IMPORT_DIR = os.environ.get("LEDGER_IMPORT_DIR") or str(Path(tempfile.gettempdir()) / "ledger-imports")
# The data a ledger holds (its non-blank cells), and the file, padding included.
LEDGER_IMPORT_MAX_MB = env_int("LEDGER_IMPORT_MAX_MB", 10)
LEDGER_IMPORT_MAX_FILE_MB = env_int("LEDGER_IMPORT_MAX_FILE_MB", 40)
LEDGER_IMPORT_MAX_ROWS = env_int("LEDGER_IMPORT_MAX_ROWS", 20_000)

# PDF reports (ledger/pdf.py): the CJK font file installed by the set-up (fonts-wqy-microhei), and
# the number of items above which a report is generated in the background instead of streamed.
LEDGER_PDF_FONT = os.environ.get("LEDGER_PDF_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LEDGER_PDF_BACKGROUND_ITEMS = env_int("LEDGER_PDF_BACKGROUND_ITEMS", 500)
# The traffic light (亮灯, `ledger.lights`): "due within N days" counts working days by China's
# statutory calendar unless this is off (each organization may choose otherwise).
LEDGER_LIGHT_WORKING_DAYS = env_bool("LEDGER_LIGHT_WORKING_DAYS", True)
# The daily reminder run (`ledger.reminders`): owners are reminded this many days before the
# deadline (each once), an overdue item is escalated one level up each further period, and
# committees and leaders are reminded of what has waited this many days for them.
LEDGER_REMINDER_DAYS = tuple(int(days) for days in env_list("LEDGER_REMINDER_DAYS", ("7", "1")))
LEDGER_ESCALATION_DAYS = env_int("LEDGER_ESCALATION_DAYS", 7)
LEDGER_WAITING_DAYS = env_int("LEDGER_WAITING_DAYS", 3)
# The hour (local time) at which the worker's daily reminder task runs (`ledger.tasks`).
LEDGER_REMINDER_HOUR = env_int("LEDGER_REMINDER_HOUR", 7)
# Longer ledgers are laid out in parts of this many rows, so that memory stays bounded.
LEDGER_PDF_PART_ROWS = env_int("LEDGER_PDF_PART_ROWS", 1000)
# Background tasks (big PDF reports): the django-tasks backport with its database backend; the
# worker is `manage.py db_worker` (started by `make run`).
# A report job whose worker gave no sign (it writes at each step of the progress) for this many
# seconds is failed with a message, and may be started again (`ledger.tasks.fail_lost_jobs`).
LEDGER_REPORT_LEASE_SECONDS = env_int("LEDGER_REPORT_LEASE_SECONDS", 300)
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A glyph missing from every font prints as an empty box: log it (False) or refuse the PDF (True).
LEDGER_PDF_STRICT_GLYPHS = env_bool("LEDGER_PDF_STRICT_GLYPHS", False)

# Email (the notification digest, `ledger.delivery`): the console backend unless configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "整改台账 <ledger@localhost>"
# The site's address as people reach it: links in emails and group messages are absolute.
LEDGER_BASE_URL = os.environ.get("LEDGER_BASE_URL") or "http://127.0.0.1:8000"
# The hosts a group robot may post to (the platforms' own): a committee member typing an
# address must not make the server post to a machine of the internal network.
LEDGER_WEBHOOK_HOSTS = env_list(
    "LEDGER_WEBHOOK_HOSTS",
    ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com"],
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
