"""Trialsite settings, read from environment variables (see README, "Configuration").

Demo/development mode (DJANGO_DEBUG=1, the default) falls back to SQLite and a filesystem
Celery broker under var/ so the app runs with nothing installed. Production mode
(DJANGO_DEBUG=0) refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from trialsite.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TRIALSITE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
TESTING = env_bool("TRIALSITE_TESTING", "PYTEST_VERSION" in os.environ)  # pytest >= 8.2 sets it
# `make test` runs the suite in parallel processes (pytest-xdist: gw0, gw1 …). Each has its own test
# database (pytest-django) and, below, its own keys in Redis and broker folders, so that a worker
# test in one process never takes a task, a purge or a cached figure of another.
TEST_WORKER = env_str("PYTEST_XDIST_WORKER", "") if TESTING else ""

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-demo-key-only-for-local-development-0123456789")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
else:
    SECRET_KEY = env_str("SECRET_KEY", required=True)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", required=True)
    if not env_str("DATABASE_URL"):
        raise ImproperlyConfigured("DATABASE_URL is required when DJANGO_DEBUG=0.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "trialsite",
    "signatures",
    "subjects",
    "assessments",
    "dosing",
    "safety",
    "exports",
    "desk",
    "labs",
    "medications",
    "deviations",
    "coding",
    "datamanagement",
]
if DEBUG or TESTING:
    INSTALLED_APPS.append("bench")  # the synthetic-study generator: development and benchmarks only

# History tables are indexed on (history date, history id), the order they are read in
# (trialsite.audit.AuditTrailRecords); that index also serves every search by date.
SIMPLE_HISTORY_DATE_INDEX = False

# Called on every write of every audited record (trialsite.audit): guards may refuse it (locks),
# after-write hooks react in the same transaction (signature invalidation, SDV marks, edit checks).
AUDITED_WRITE_GUARDS: list[str] = ["datamanagement.services.refuse_locked_write"]
AUDITED_AFTER_WRITE: list[str] = [
    "assessments.services.baseline_after_day1_moved",  # derived values first, then what reacts to them
    "deviations.hooks.sync_after_write",
    "datamanagement.services.sdv_clear_on_change",
    "signatures.services.signatures_invalidate",
    "datamanagement.editchecks.run_edit_checks",
    "safety.reminders.remind_after_write",
]
# Soft edit checks (datamanagement.editchecks) switched off by name.
DISABLED_EDIT_CHECKS = env_list("DISABLED_EDIT_CHECKS", [])
# Extra states of records on the status grid (open query, verified, locked, signed): callables
# ({record_type: pks}) -> {(record_type, pk): [state, ...]}, called once per page (desk/status.py).
STATUS_GRID_STATE_SOURCES: list[str] = ["datamanagement.grid.record_states", "signatures.grid.record_states"]
# Columns that apps above subjects add to the participant's row on its page (callables () -> {name:
# expression}), so their sections read them there instead of querying again (subjects.views).
PARTICIPANT_PAGE_COLUMNS: list[str] = ["datamanagement.progress.state_columns"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "trialsite.errors.ApiRequestBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "trialsite.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "trialsite.access.AccessMiddleware",
    "subjects.sitetime.StudyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "trialsite.urls"
WSGI_APPLICATION = "trialsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trialsite.context_processors.roles",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "trialsite.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not Django's in-memory test database: the live server's threads then open
            # connections of their own, as the web processes do, instead of sharing the test's one
            # (two requests at once, such as a form's live preview and its save, would share a
            # transaction).
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# The application's own database role, named when `migrate` runs as the owner: it is granted its
# rights then (trialsite.dbguard). Empty: one role for everything (make run, tests).
DB_APP_ROLE = env_str("DB_APP_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: the DMC dashboard's computed figures (safety.dashboard) ------------------------
# Redis is shared by every web process and host. Without it, the embedded default (one process)
# keeps them in its memory; production without CACHE_URL computes them on every request, as
# figures kept in one process's memory would not see a write handled by another process.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
    if TEST_WORKER:
        CACHES["default"]["KEY_PREFIX"] = TEST_WORKER
elif DEBUG or TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# --- Authentication, sessions, lockout -----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "trialsite.backends.RoleModelBackend",  # ModelBackend, with the roles read in the user's query
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
# Two-factor login (trialsite.two_factor): required in production for the roles that can sign or
# export (a role not configured yet, e.g. monitor, may be named here already); optional for others.
REQUIRE_2FA = env_bool("REQUIRE_2FA", not DEBUG)
TWO_FACTOR_ROLES = ["investigator", "data_manager", "monitor", "admin"]
OTP_TOTP_ISSUER = "Trialsite"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Idle timeout: every request saves the session with a fresh expiry of SESSION_COOKIE_AGE.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = None  # an administrator unlocks (python manage.py axes_reset_username)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Accounts are locked, not IP addresses: a site's staff share one hospital NAT address, and an
# IP lock would shut the whole site out after five typos by anyone.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Covering indexes (INCLUDE) are PostgreSQL's; the development database indexes the key alone.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# --- Security (production) -----------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): scripts from this site only, never inline (no <script> without
# src, no on…= handlers; page data goes through json_script). Styles may be inline: the visit timeline
# places its bars with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True

# --- Time: stored in UTC, shown in the study's time zone ----------------------------------
USE_TZ = True
# The site's time zone is study configuration (Study.time_zone, read through subjects.sitetime and
# activated for each request); this is only the default outside a request.
TIME_ZONE = "Asia/Shanghai"
# --- Languages: English and Simplified Chinese -------------------------------------------------
# A user's language: their profile's choice (kept in the session from login), else the browser's
# Accept-Language, else the study's default language (Study.default_language) — trialsite.i18n.
USE_I18N = True
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per locale (ISO dates in English, 2026年12月4日 in Chinese); the rest of each
# locale from Django. Numbers on pages use the locale's grouping; exports never format numbers.
FORMAT_MODULE_PATH = ["trialsite.formats"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "trialsite@localhost")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    BROKER_DIR = VAR_DIR / (f"broker-{TEST_WORKER}" if TEST_WORKER else "broker")
    for folder in ("in", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
    if TEST_WORKER:
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = f"{TEST_WORKER}:"
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "trialsite.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["trialsite.api.CapabilityPermission"],
    "DEFAULT_PAGINATION_CLASS": "trialsite.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "trialsite.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

REST_KNOX = {
    "TOKEN_TTL": None,  # expiry is chosen per token (optional), see create_api_token
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trialsite API",
    "DESCRIPTION": "Clinical data of study S2018-11 (NCT03745417). Authenticate with "
    "`Authorization: Token <key>`. Every change of existing data needs `reason_for_change` (at most 1 000 "
    "characters) and the `If-Match` header with the record's ETag as you read it (412 when someone changed it "
    "meanwhile, 428 without it). Errors are JSON: 400 `{field: [messages]}`, 401, 403, 404 and 413 `{detail}`; a "
    "method a path does not list is 405 with `Allow`; while the database is unavailable 503 with `Retry-After`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "trialsite.api_schema.add_standard_errors",
        "trialsite.api_schema.add_concurrency_headers",
    ],
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"short_client_errors": {"()": "trialsite.errors.ShortClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["short_client_errors"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django's own console handler (DEBUG) and the root's printed every refused request twice.
    # WeasyPrint reports each step of every PDF (and of the casebook stylesheet, parsed at start-up) at INFO.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "django": {"handlers": ["console"], "propagate": False},
    },
}

TRIALSITE_DEMO = env_bool("TRIALSITE_DEMO", DEBUG)

KNOX_TOKEN_MODEL = "trialsite.ApiToken"
# knox's own migrations create a table for its default token model even when it is swapped
# out; that orphan table (with a foreign key to users) is never used, so they are not run.
MIGRATION_MODULES = {"knox": None}
