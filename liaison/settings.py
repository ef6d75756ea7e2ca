"""Settings for the Liaison Station Portal: one module, driven by the environment.

Every key is listed in `.env.example` and the README. Without any environment the
portal runs embedded: SQLite in the project folder and Celery tasks run eagerly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from liaison.env import env_bool, env_database, env_float, env_int, env_list, env_str, env_url

# Lets generic admin/queryset classes be subscripted at run time, as the type checker wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "django-insecure-dev-only-key-change-me-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("Environment variable SECRET_KEY is required when DEBUG is off.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000", schemes={"http", "https"}).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "captcha",
    "axes",
    "csp",
    "simple_history",
    "accounts",
    "stations",
    "representatives",
    "suggestions",
    "notifications",
    "open311",
    "voters",
    "dashboards",
    "health",
    "exports",
]

MIDDLEWARE = [
    "liaison.logs.RequestIdMiddleware",
    # Load balancers and containers probe /healthz and /health/ by address: answered before the
    # host check and the HTTPS redirect (they show no data and use no host).
    "health.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "liaison.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "liaison.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Who made a change to reference data, for its history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "liaison.rest.ApiErrorMiddleware",
    "liaison.middleware.SignedInNoStoreMiddleware",
]

ROOT_URLCONF = "liaison.urls"
# Reference data's history is a record: it is read in the admin, never "reverted" from it.
SIMPLE_HISTORY_REVERT_DISABLED = True
WSGI_APPLICATION = "liaison.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "notifications.context_processors.bell",
                "accounts.context_processors.staff_nav",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes={"redis", "rediss", "unix"})
# Short socket timeouts: an unreachable Redis costs a request at most this long, and then the
# process counts and caches locally for CACHE_FALLBACK_SECONDS before trying Redis again
# (liaison/cache.py; README, Operations).
CACHE_CONNECT_TIMEOUT = env_float("CACHE_CONNECT_TIMEOUT", 0.5, minimum=0.01)
CACHE_SOCKET_TIMEOUT = env_float("CACHE_SOCKET_TIMEOUT", 0.5, minimum=0.01)
CACHE_FALLBACK_SECONDS = env_float("CACHE_FALLBACK_SECONDS", 5, minimum=0.1)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "liaison.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": CACHE_CONNECT_TIMEOUT,
                "SOCKET_TIMEOUT": CACHE_SOCKET_TIMEOUT,
                "FALLBACK_SECONDS": CACHE_FALLBACK_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
# Without a broker the embedded default runs tasks in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
# A lost broker is retried for ever, at start and while running: the worker waits for Redis
# instead of exiting. The bounded retries below keep a web request that enqueues from hanging on a
# dead broker (the outbox relay re-sends); the worker drops them at start (liaison/celery.py).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 4, minimum=0.1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
    # Redis has no AMQP heartbeats: redis-py pings an idle connection before reuse instead, and
    # the socket timeouts turn a silent (not refused) Redis into an error that is retried.
    "health_check_interval": 10,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "socket_keepalive": True,
}
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 10
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 10
CELERY_REDIS_RETRY_ON_TIMEOUT = True
CELERY_REDIS_BACKEND_HEALTH_CHECK_INTERVAL = 10
# Beat's scheduler also writes beat's heartbeat for the health check (health/).
CELERY_BEAT_SCHEDULER = "liaison.celery:HeartbeatScheduler"
CELERY_TIMEZONE = "Asia/Shanghai"
SWEEP_INTERVAL_MINUTES = env_int("SWEEP_INTERVAL_MINUTES", 15, minimum=1)
# How often the dashboards' daily summary is brought up to date (dashboards.tasks).
STATS_REFRESH_MINUTES = env_int("STATS_REFRESH_MINUTES", 5, minimum=1)
# Notifications (notifications/): the relay re-sends what a dead broker or worker left behind.
NOTIFY_RELAY_INTERVAL_SECONDS = env_int("NOTIFY_RELAY_INTERVAL_SECONDS", 60, minimum=1)
NOTIFY_RELAY_AFTER_SECONDS = env_int("NOTIFY_RELAY_AFTER_SECONDS", 60, minimum=0)
NOTIFY_CLAIM_SECONDS = env_int("NOTIFY_CLAIM_SECONDS", 120, minimum=1)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
NOTIFY_RETRY_SECONDS = env_int("NOTIFY_RETRY_SECONDS", 60, minimum=1)
# Health (/health/, manage.py health): worker and beat write a heartbeat this often, and one
# older than HEALTH_STALE_SECONDS counts as dead; the broker check waits this long at most.
HEALTH_HEARTBEAT_SECONDS = env_int("HEALTH_HEARTBEAT_SECONDS", 30, minimum=1)
HEALTH_STALE_SECONDS = env_int("HEALTH_STALE_SECONDS", 300, minimum=HEALTH_HEARTBEAT_SECONDS + 1)
HEALTH_BROKER_TIMEOUT = env_float("HEALTH_BROKER_TIMEOUT", 2, minimum=0.1)
DIGEST_HOUR = env_int("DIGEST_HOUR", 8, minimum=0)
if DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"Environment variable DIGEST_HOUR must be an hour from 0 to 23, got {DIGEST_HOUR}.")

# --- Auth -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (accounts/lockout.py): a username tried from one address is locked after
# AXES_FAILURE_LIMIT failures, an address after LOGIN_FAILURES_PER_ADDRESS failures over any
# usernames; both for LOGIN_LOCKOUT_MINUTES after the last failure, before any password hashing.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 60, minimum=1)
# Whom a locked-out user should call, shown on the lockout page; blank: the standing committee's IT administrator.
LOGIN_LOCKOUT_CONTACT = env_str("LOGIN_LOCKOUT_CONTACT", "")
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.LoginLockoutHandler"
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Client address: only trust X-Forwarded-For when a proxy in front sets it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# The same address the voter site's limits count (IPv6 by its /64), behind TRUSTED_PROXY_COUNT proxies.
AXES_CLIENT_IP_CALLABLE = "voters.net.client_key"

# --- I18n -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# django-filter's empty choice reads like the other filters' "不限", not "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("Any")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Production serves hashed, compressed files collected by `collectstatic`; development
# and tests serve straight from the source folders.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Largest suggestion list exported to Excel in one request; narrower filters export more.
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 100_000, minimum=1)
# Lists up to this many rows download at once; longer ones are written by a Celery task
# (exports/) with a progress page and a notification, and kept EXPORT_KEEP_HOURS.
EXPORT_INSTANT_MAX_ROWS = env_int("EXPORT_INSTANT_MAX_ROWS", 1000, minimum=0)
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24, minimum=1)
# Retention (README, "Personal data"): cases closed more than this many years ago are
# anonymised nightly by beat; 0 (the default) leaves the beat entry out.
RETENTION_YEARS = env_int("RETENTION_YEARS", 0, minimum=0)
RETENTION_HOUR = env_int("RETENTION_HOUR", 3, minimum=0)

# --- E-mail and SMS ---------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "人大代表联络站平台 <noreply@liaison.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "notifications.sms.ConsoleBackend" if DEBUG else "notifications.sms.LoggingBackend",
)

# --- Workflow limits (working days, DESIGN §3) ------------------------------
ACK_LIMIT_DAYS = env_int("ACK_LIMIT_DAYS", 2, minimum=1)
REPLY_LIMIT_DAYS = env_int("REPLY_LIMIT_DAYS", 15, minimum=1)
REPLY_LIMIT_DAYS_URGENT = env_int("REPLY_LIMIT_DAYS_URGENT", 5, minimum=1)
REHANDLE_LIMIT_DAYS = env_int("REHANDLE_LIMIT_DAYS", 10, minimum=1)
FEEDBACK_LIMIT_DAYS = env_int("FEEDBACK_LIMIT_DAYS", 10, minimum=1)
FORMAL_SUGGESTION_LIMIT_MONTHS = env_int("FORMAL_SUGGESTION_LIMIT_MONTHS", 3, minimum=1)
EXTENSION_CAP_DAYS = env_int("EXTENSION_CAP_DAYS", 15, minimum=0)
REMINDER_DAYS_AHEAD = env_int("REMINDER_DAYS_AHEAD", 2, minimum=0)
ESCALATE_AFTER_DAYS = env_int("ESCALATE_AFTER_DAYS", 3, minimum=0)
FEEDBACK_LINK_VALID_DAYS = env_int("FEEDBACK_LINK_VALID_DAYS", 30, minimum=1)
# The stages before a hand-over: 梳理 (received → sorted), 拟办 (sorted → proposed) and 交办 (proposed → handed over).
SORT_LIMIT_DAYS = env_int("SORT_LIMIT_DAYS", 2, minimum=1)
PROPOSE_LIMIT_DAYS = env_int("PROPOSE_LIMIT_DAYS", 3, minimum=1)
HANDOVER_LIMIT_DAYS = env_int("HANDOVER_LIMIT_DAYS", 3, minimum=1)
# Committee staff decide a unit's extension request within this many working days of it.
EXTENSION_DECISION_DAYS = env_int("EXTENSION_DECISION_DAYS", 2, minimum=1)
# Overdue this many working days: the supervision level is raised automatically (催办, then 重点督办).
SUPERVISE_URGE_AFTER_DAYS = env_int("SUPERVISE_URGE_AFTER_DAYS", 5, minimum=1)
SUPERVISE_KEY_AFTER_DAYS = env_int("SUPERVISE_KEY_AFTER_DAYS", 10, minimum=SUPERVISE_URGE_AFTER_DAYS + 1)
# Station staff may correct a logged visit for this many hours after logging it; then it is read-only.
VISIT_EDIT_HOURS = env_int("VISIT_EDIT_HOURS", 72, minimum=0)

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with a WWW-Authenticate header, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "liaison.rest.LiaisonAutoSchema",
    "EXCEPTION_HANDLER": "liaison.rest.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "liaison.pagination.CursorPage",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1),
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        "open311": env_str("API_THROTTLE_OPEN311", "60/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
}
# Open311 request lists asked again within this many seconds come from the cache (0: never).
OPEN311_LIST_CACHE_SECONDS = env_int("OPEN311_LIST_CACHE_SECONDS", 30, minimum=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison Station Portal API",
    "DESCRIPTION": (
        "人大代表联络站平台 REST API.\n\n"
        "**Sign in** with `Authorization: Token <key>` (an administrator issues keys in the admin or with "
        "`manage.py api_token <username>`), or with the browser session. Everyone sees only their scope: "
        "a record outside it answers 404, as one that does not exist.\n\n"
        "**Errors** are always JSON `{code, message, fields}`: 400 invalid input (`validation` with messages "
        "per field, or a specific code), 401 not signed in, 403 not your role, 404 not found or not in your "
        "scope, 409 wrong state or `stale_version`, 429 throttled.\n\n"
        "**Lists** are cursor-paginated: follow `next`; `page_size` up to 200.\n\n"
        "**Workflow actions** are `POST /api/v1/suggestions/{code}/<action>/`; send the `version` you read as "
        "`expected_version` to be refused (409 `stale_version`) instead of overwriting someone else's change. "
        "A suggestion's `allowed_actions` lists what you may do now.\n\n"
        "Open311 GeoReport v2 clients use `/open311/v2/` instead."
    ),
    "TAGS": [
        {"name": "suggestions", "description": "Suggestions in your scope, by tracking code, and their timelines."},
        {"name": "workflow", "description": "Every action of the workflow (DESIGN §3), one POST each."},
        {"name": "visits", "description": "Voter visits, logged with the suggestions raised in them."},
        {"name": "stations", "description": "Liaison stations you work with."},
        {"name": "regions", "description": "The administrative region tree."},
        {"name": "representatives", "description": "Representatives and their duty shifts."},
        {"name": "reference", "description": "Categories and handling units."},
        {"name": "notifications", "description": "Your in-app notifications."},
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SuggestionStateEnum": "suggestions.models.State",
        "ReplyCategoryEnum": "suggestions.models.ReplyCategory",
        "ChannelEnum": "stations.models.VisitChannel",
    },
}

# --- Security ---------------------------------------------------------------
# Sessions stay in the database alone: read through Redis (cached_db) they saved a query per
# page, but staff could not work while Redis was down (tests/notifications/test_worker_e2e.py).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A form sent from a stale page gets a Chinese page in the site's layout, not Django's English one.
CSRF_FAILURE_VIEW = "liaison.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Strict CSP: everything from our own origin, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Every line carries the request's id (liaison/logs.py); LOG_FORMAT=json writes JSON lines.
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"Environment variable LOG_FORMAT must be text or json, got {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "liaison.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "liaison.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

SILENCED_SYSTEM_CHECKS = ["models.W047"]  # SQLite (embedded default) ignores nulls_distinct.

# The voter form's captcha (issue 16): four digits, large, unstruck and barely rotated, so it
# reads on a phone; half an hour to fill in the form before the picture expires.
CAPTCHA_CHALLENGE_FUNCT = "voters.captcha.digits_challenge"
CAPTCHA_NOISE_FUNCTIONS: tuple[str, ...] = ()
CAPTCHA_IMAGE_SIZE = (200, 64)
CAPTCHA_FONT_SIZE = 44
CAPTCHA_LETTER_ROTATION = (-8, 9)
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 30  # minutes
CAPTCHA_TEST_MODE = env_bool("CAPTCHA_TEST_MODE", False)

# --- Voter site (public/): rate limits ----------------------------------------
PUBLIC_SUBMIT_PER_IP_PER_HOUR = env_int("PUBLIC_SUBMIT_PER_IP_PER_HOUR", 10, minimum=1)
PUBLIC_SUBMIT_PER_PHONE_PER_DAY = env_int("PUBLIC_SUBMIT_PER_PHONE_PER_DAY", 5, minimum=1)
PUBLIC_LOOKUP_PER_CODE_PER_HOUR = env_int("PUBLIC_LOOKUP_PER_CODE_PER_HOUR", 5, minimum=1)
PUBLIC_LOOKUP_PER_IP_PER_HOUR = env_int("PUBLIC_LOOKUP_PER_IP_PER_HOUR", 30, minimum=1)
# One code tried from many addresses: guessing its phone digits; 0 turns this count off.
PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR = env_int("PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR", 100, minimum=0)

# Benchmark floor endpoints under /_bench/ (bench/urls.py); only `make bench` turns them on.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)
