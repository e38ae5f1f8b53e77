"""Settings for Initiative Tracker.

Everything that differs between machines is read from the environment here, and only here
(12-factor, django-environ). The defaults run the whole product on one machine with no external
service: SQLite, kombu's filesystem broker and mail written to files, all under VAR_DIR. Each
variable is documented in README.md and listed in .env.example.
"""

import ipaddress
import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Only the real environment is read (`make run` exports a developer's .env into it first), so
# what a process runs with is always what its environment says.
env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Runtime state of the embedded stack (database, broker folders, mail files, beat schedule).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

# Keys Django generates for development start with this prefix; they are never good enough for
# a deployment, and neither is anything short.
_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters when DEBUG is off "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))"). On a development '
        "stack, such as the one `make run` starts, set DEBUG=true instead: "
        "DEBUG=true .venv/bin/python manage.py …"
    )
if not SECRET_KEY:
    SECRET_KEY = _INSECURE_KEY_PREFIX + "development-only-key-never-used-when-debug-is-off"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Absolute links in emails and calendar feeds point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "config.admin_site.TrackerAdminConfig",  # django.contrib.admin, with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "corsheaders",
    "axes",
    "initiatives",
    "tracker",
]

MIDDLEWARE = [
    "config.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the request's user on every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Locks out a username and address after repeated failed sign-ins (last, as axes asks).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Reminder emails only (tracker/jinja2/): see tracker/mail_templates.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "mail",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "tracker.mail_templates.environment"},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: WAL lets readers go on while
    # one writes, the busy timeout waits for a lock instead of failing, and IMMEDIATE
    # transactions take the write lock up front so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters bound by the server, so that psycopg can prepare a statement once it has
        # run DB_PREPARE_THRESHOLD times on a connection: a list page's query and the token
        # lookup then skip parsing and planning, 40% of their database time. Django turns
        # preparing off by default for transaction-mode poolers (PgBouncer before 1.21 cannot
        # keep prepared statements); set DB_PREPARE_THRESHOLD empty behind one.
        threshold = env.str("DB_PREPARE_THRESHOLD", default="5")
        if threshold and not (threshold.isascii() and threshold.isdigit()):
            raise ImproperlyConfigured("DB_PREPARE_THRESHOLD must be a whole number, or empty.")
        DATABASES["default"]["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": int(threshold) if threshold else None,
        }
    # Reuse connections across requests, and notice a dropped one before using it.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Rows a bulk write sends in one statement (its batch_size). A server-bound statement takes at
# most 65,535 parameters, and Django does not split bulk writes by that limit on PostgreSQL.
BULK_BATCH_SIZE = 1000

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time and language ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Deadlines are dates in this zone: "today", "overdue" and reminder days are computed in it.
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Audit history -------------------------------------------------------------------------
# Reasons for a change (why a due date moved) are free text of any length.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Fixtures ---------------------------------------------------------------------------------
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# --- Mail -------------------------------------------------------------------------------------
# Without EMAIL_URL mail is written to files under VAR_DIR. django-environ reads
# filemail:///var/mail as the relative path var/mail, which is anchored at the project folder.
_EMAIL = (
    env.email_url("EMAIL_URL")
    if env.str("EMAIL_URL", default="")
    else {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
)
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_FILE_PATH = str(BASE_DIR / _EMAIL.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = _EMAIL.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _EMAIL.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Initiative Tracker <tracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# A reminder's Date header in TIME_ZONE (+0800), as its body speaks of days and times, not UTC.
EMAIL_USE_LOCALTIME = True

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: the web process and the worker must share these folders.
    CELERY_BROKER_FOLDER = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER),
        "data_folder_out": str(CELERY_BROKER_FOLDER),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# A web request that queues a task must not hang on a broker that is down: give up quickly (the
# reminder ledger keeps the work, and the periodic dispatch queues it again).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Prefork processes of a worker. A reminder send spends most of its time waiting on the mail
# server's replies and the database, so two processes per core keep the cores busy; with one
# per core (Celery's default) a third of the machine stood idle while the mail went out.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2 * (os.cpu_count() or 1))
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials is answered 401 with a Bearer challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "initiatives.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["initiatives.api.permissions.ReadOpen"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "initiatives.api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "initiatives.api.schema.TrackerAutoSchema",
    "DEFAULT_PARSER_CLASSES": ["initiatives.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "initiatives.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "initiatives.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "initiatives.api.throttling.AnonRateThrottle",
        "initiatives.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # ?format= picks among the formats a path serves; any other is a 406 that lists them.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "initiatives.api.negotiation.FormatNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Initiative Tracker API",
    "DESCRIPTION": (
        "Announced government initiatives from announcement to delivery: agencies, "
        "initiatives, milestones, progress updates, indicators and readings."
    ),
    "VERSION": "1",
    # OpenAPI 3.1: a nullable reference is a oneOf with null, which 3.0 cannot say (its
    # "nullable" needs a type beside it), so strict validators and generators read it right.
    "OAS_VERSION": "3.1.0",
    # Docstrings of the API's mixins are for maintainers, never schema descriptions.
    "GET_LIB_DOC_EXCLUDES": "initiatives.api.schema.lib_doc_excludes",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar's static files, never a CDN: the docs work on an intranet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "InitiativeStatusEnum": "initiatives.models.Initiative.Status",
        "ConfidenceEnum": "initiatives.models.Initiative.Confidence",
        "MilestoneStatusEnum": "initiatives.models.Milestone.Status",
        "DueStatusEnum": "initiatives.models.Milestone.DueStatus",
    },
}
# Throttle counts live in the cache: give every web process the same one (Redis) in production.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Request bodies above this are refused with 400 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Product settings -------------------------------------------------------------------------
# Anonymous users may read the API only when the deployment says the data is public.
API_PUBLIC_READ = env.bool("API_PUBLIC_READ", default=False)
# A milestone is "due soon" when its due date is at most this many days away.
REMINDER_DUE_SOON_DAYS = env.int("REMINDER_DUE_SOON_DAYS", default=14)

# --- Reminders (tracker/policy.py says what each one means) ----------------------------------
REMINDER_LEAD_DAYS = [int(days) for days in env.list("REMINDER_LEAD_DAYS", default=[14, 7, 1])]
REMINDER_OVERDUE_EVERY_DAYS = env.int("REMINDER_OVERDUE_EVERY_DAYS", default=7)
REMINDER_ESCALATE_AFTER_DAYS = env.int("REMINDER_ESCALATE_AFTER_DAYS", default=14)
# The daily sweep runs at this hour, local time (TIME_ZONE).
REMINDER_SEND_HOUR = env.int("REMINDER_SEND_HOUR", default=9)
# Public-holiday calendar of the working days (python-holidays country and subdivision codes).
REMINDER_HOLIDAY_COUNTRY = env.str("REMINDER_HOLIDAY_COUNTRY", default="CN")
REMINDER_HOLIDAY_SUBDIVISION = env.str("REMINDER_HOLIDAY_SUBDIVISION", default="") or None
# A sender holds the rows it claimed this long; a later sweep reclaims them after a crash.
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=15 * 60)
# Sending is retried with exponential backoff this many times before a row is marked failed.
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=8)
CELERY_BEAT_SCHEDULE = {
    # Daily, in TIME_ZONE. Running it more often, or from a second beat, plans nothing twice.
    "sweep-reminders": {
        "task": "tracker.sweep_reminders",
        "schedule": crontab(hour=REMINDER_SEND_HOUR, minute=0),
    },
    # Picks up reminders left pending by a broker outage, a failed send or a dead worker.
    "dispatch-reminders": {"task": "tracker.dispatch_reminders", "schedule": 5 * 60.0},
}

# --- Security ---------------------------------------------------------------------------------
# Failed sign-ins (admin) and failed token presentations (API, calendar feed) allowed from one
# address within the cool-off window before it is refused.
AUTH_FAILURE_LIMIT = env.int("AUTH_FAILURE_LIMIT", default=10)
AUTH_FAILURE_COOLOFF_MINUTES = env.int("AUTH_FAILURE_COOLOFF_MINUTES", default=15)
AXES_FAILURE_LIMIT = AUTH_FAILURE_LIMIT
AXES_COOLOFF_TIME = AUTH_FAILURE_COOLOFF_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Proxies whose X-Forwarded-For is believed (see config/client_address.py); none by default.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network."
        ) from None
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"
# Cross-origin front-ends allowed to call the API (none unless configured).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = ["ETag", "X-Request-ID", "Retry-After"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Production serves HTTPS only, usually behind a proxy that terminates TLS.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=False)
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Structured logs: one JSON object a line in production (LOG_FORMAT=json), every record with the
# request id, and no token in any line.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "config.log_filters.RedactSecrets"},
        "request_id": {"()": "config.request_id.RequestIdFilter"},
    },
    # Timestamps in TIME_ZONE with their offset, in the web process and the worker alike (the
    # worker logs through this configuration too: config/celery.py).
    "formatters": {
        "plain": {
            "()": "config.log_format.ZonedFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "zone": TIME_ZONE,
        },
        "json": {
            "()": "config.log_format.ZonedJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "zone": TIME_ZONE,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print each of its records a second time via root.
        "django": {"handlers": [], "propagate": True},
        # runserver's request lines carry URLs, feed tokens included: through the filter.
        "django.server": {"handlers": ["console"], "propagate": False},
    },
}
