"""CX Membrane settings: everything that differs between machines comes from the environment."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from . import broker_filesystem, broker_redis
from .env import env_bool, env_int, env_int_or_none, env_list, env_str, proxy_ssl_header

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
# Tests and management commands may run on the development key; the web application refuses to
# start on it with DEBUG off (config/production.py, called by config/wsgi.py).
SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = env_str("SECRET_KEY", "") or "insecure-dev-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "cxcore",
    "membrane",
    "journeys",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "cxcore.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cxmembrane.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A kept connection is checked before a request reuses it: one the server dropped (PostgreSQL
        # restarted) is replaced, not failed on (tests/faults).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let web, worker and beat share the embedded database.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests get a database file, not Django's in-memory default: an in-memory database is one
    # connection that the live server hands to every request thread, and two requests at once (a page
    # and its poll) then share a transaction (CI: "on_commit() cannot be used in manual transaction
    # management"). A file gives each thread its own connection, as the embedded console has.
    # In a memory-backed folder where there is one, so the suite stays about as fast.
    _test_dir = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("TEST_DATABASE_NAME", os.path.join(_test_dir, f"test_cxm_{os.getpid()}.sqlite3"))
    }
else:
    # Several test runs may share one server (developers in parallel, a Celery worker joining a
    # test): each gets its own test database unless TEST_DATABASE_NAME names one.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", f"test_cxm_{os.getpid()}")}
    # The hot statements (cxcore.db.hot_cursor) are prepared after this many runs on a connection;
    # "none" behind a pooler that cannot carry prepared statements. Django's own cursors never prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = env_int_or_none("DB_PREPARE_THRESHOLD", 5)
    # A server that does not answer (its host down, the network cut) would hold a web worker until the system's
    # TCP timeout, minutes: give up after this many seconds, so the request is a 503 and the worker is free
    # (cxcore.views_errors). A connect_timeout in DATABASE_URL wins.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "cxcore.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Tests and a fresh checkout serve assets straight from the source folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

# Behind TLS (README, "Production settings"): every one of these from the environment, off by default so
# that the console runs on plain http://127.0.0.1 for a newcomer.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The header a TLS-terminating proxy sets, e.g. X-Forwarded-Proto: trusted only when named here.
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env_str("SECURE_PROXY_SSL_HEADER", ""))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# django-csp 4: no inline script anywhere, every asset from this origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # plotly sets inline styles on its SVG
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cxcore.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "cxcore.api_openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "cxcore.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["cxcore.throttling.TokenRateThrottle"],
    "UNAUTHENTICATED_USER": None,
}

# Requests per token (or console user) and window; a view's `throttle_scope` picks its line. Decisions
# get a generous line of their own so that an integration asking for every contact is not cut off.
# Counted in the cache: per process unless CACHE_URL names a shared one (Redis).
API_RATE_LIMITS = {
    "api": env_str("API_RATE_LIMIT", "1200/min"),
    "decisions": env_str("API_DECISIONS_RATE_LIMIT", "60000/min"),
    "ingest": env_str("API_INGEST_RATE_LIMIT", "6000/min"),
}
CACHE_URL = env_str("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Logins: after LOGIN_FAILURE_LIMIT failures for one username, or from one address, that username or
# address waits LOGIN_COOLOFF_MINUTES (never for good); a success clears its failures.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cxcore.login_throttle.locked_out"
AXES_VERBOSE = False

SPECTACULAR_SETTINGS = {
    "TITLE": "CX Membrane API",
    "DESCRIPTION": "Signals in, decisions out: the contract of DESIGN.md section 9.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Celery: a broker that needs no server unless CELERY_BROKER_URL names one. Every broker gives a task back
# when its worker dies before acknowledging it (config/celery.py names the transports that do).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # filesystem:///a/folder, or folders under var/
    _queue_dir = Path(CELERY_BROKER_URL.removeprefix("filesystem://") or VAR_DIR / "celery-broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = broker_filesystem.transport_options(_queue_dir)
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = broker_redis.TRANSPORT_OPTIONS
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

REEVALUATE_EVERY_SECONDS = env_int("REEVALUATE_EVERY_SECONDS", 300)
# Chunks of a full evaluation run side by side on PostgreSQL, each on a connection (and a core) of its own.
EVALUATION_CONNECTIONS = env_int("EVALUATION_CONNECTIONS", 2)
# A running evaluation run silent (no chunk committed) for longer than this has lost its worker.
RUN_STALLED_AFTER_SECONDS = env_int("RUN_STALLED_AFTER_SECONDS", 900)
# Schedules live in git; `python manage.py sync_schedules` writes them to django-celery-beat.
CELERY_BEAT_SCHEDULE = {
    "reevaluate-changed": {
        "task": "membrane.tasks.reevaluate_changed",
        "schedule": REEVALUATE_EVERY_SECONDS,
    },
    "reevaluate-all-daily": {
        "task": "membrane.tasks.reevaluate_all",
        "schedule": crontab(hour=2, minute=15),
    },
    "resume-stalled-runs": {
        "task": "membrane.tasks.resume_stalled_runs",
        "schedule": 300,
    },
    "actions-sync": {
        "task": "membrane.tasks.actions_sync_all",
        "schedule": crontab(minute=40),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # axes logs every login at INFO; its lockouts are warnings.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
