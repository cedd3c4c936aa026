"""Valuegate settings. Everything that differs between machines comes from the environment.

Without any environment variable this runs the zero-setup development shape: SQLite in
``var/valuegate.sqlite3`` and an embedded SQLAlchemy/SQLite Celery broker in ``var/``.
``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portfolio.env import env_bool, env_choice, env_int, env_list, env_networks, env_number

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VALUEGATE_VAR_DIR", BASE_DIR / "var"))


SECRET_KEY = os.environ.get(
    "SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "usecases",
    "reviews",
    "stagegates",
    "portfolio",
]

MIDDLEWARE = [
    # First: a request whose client has already closed the connection is not served (499).
    "portfolio.gone_clients.GoneClientMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "portfolio.login_limits.LoginThrottledMiddleware",
    "portfolio.mfa.MfaRequiredMiddleware",
    # Last, so that its process_exception runs first: a database outage raised by a view is a 503
    # with Retry-After (portfolio/db_unavailable.py; one raised in a middleware: handler500).
    "portfolio.db_unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "portfolio.urls"
WSGI_APPLICATION = "portfolio.wsgi.application"

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
                "django.template.context_processors.csp",
                "usecases.context_processors.roles",
                "usecases.context_processors.inbox",
            ],
            "builtins": ["usecases.templatetags.money"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
_conn_max_age = env_int("CONN_MAX_AGE", 0, high=86_400)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'valuegate.sqlite3'}"),
        conn_max_age=_conn_max_age,
        # A kept connection is checked (SELECT 1) before a request's first query: after a
        # PostgreSQL restart its old connection is dead, and is replaced instead of failing the
        # request (issue 20, tests/faults/test_postgres_restart.py).
        conn_health_checks=_conn_max_age > 0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT off (issue 20): at 20,000 use cases the report aggregates' estimated costs
    # pass jit_optimize_above_cost and compiling them took 4.6-6 s of a 7.5-25 s query (make bench
    # BENCH_SIZE=xl, the plans in var/bench/plans.txt); below that size it never started.
    # DATABASE_JIT=true gives it back.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _server = "-c jit=" + ("on" if env_bool("DATABASE_JIT", False) else "off")
    # Parallel query only where it pays (issue 20). With PostgreSQL's parallel_setup_cost (1000)
    # the CFO report's monthly aggregate at 2,000 use cases went parallel for a predicted saving
    # of a few dozen units: the page's SQL took as long (64-74 ms against 68-80 serial) and a
    # quarter more of PostgreSQL's CPU (84-97 ms against 64-75), which on the 2-core shape the
    # other requests wait for. At 3000 the planner keeps a parallel plan only where it saves more:
    # at 20,000 use cases the report's two aggregates (~23,000 units serial, ~17,000 parallel)
    # still run on three processes, 267-301 ms of SQL instead of 438-530 (alternated runs on the
    # kept bench databases). DATABASE_PARALLEL_WORKERS=0 turns parallel query off (docs/deploy.md).
    _workers = env_int("DATABASE_PARALLEL_WORKERS", 2, high=64)
    _setup_cost = env_int("DATABASE_PARALLEL_SETUP_COST", 3000, high=10**9)
    _server += f" -c max_parallel_workers_per_gather={_workers}"
    _server += f" -c parallel_setup_cost={_setup_cost}"
    _options["options"] = f"{_options.get('options', '')} {_server}".strip()
    # Prepared statements (issue 20) for the statements of fixed shape the app runs most
    # (``usecases.prepared_sql.prepared_cursor``): the fixed-shape reads and the review INSERT
    # are parsed once per connection and, once a generic plan costs no more, planned once (the
    # use case read: 0.36 -> 0.13 ms on a cursor). Nothing else is prepared. Not through a
    # pooler in transaction mode (PgBouncer before 1.21): DATABASE_PREPARED_STATEMENTS=false.
    # psycopg's prepare_threshold: a count no statement reaches, so only those asked for are.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        _options.setdefault("prepare_threshold", 2**62)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share one file: WAL lets readers run beside a writer, IMMEDIATE takes the
    # write lock at BEGIN so two writers queue (timeout) instead of failing "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # A database host that does not answer fails the connection after this many seconds: the
    # request gets its 503 with Retry-After (portfolio/db_unavailable.py) instead of hanging.
    # 3 s: a healthy connection takes milliseconds (a busy one well under a second), and a
    # request that finds the database away must answer well inside the 10 s a client waits
    # (issue 20) and gunicorn's 30 s. A refused connection (PostgreSQL restarting) fails at once
    # anyway; this bounds a host that does not answer at all. psycopg applies it to each host
    # named in DATABASE_URL in turn, and counts less than 2 as 2. ``?connect_timeout=`` in
    # DATABASE_URL wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 3, low=1, high=30)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # a locked-out username or address stops here
    "portfolio.login_limits.PasswordCheckBudgetBackend",  # over a check limit: 429, no hashing
    # allauth's ModelBackend: usernames and passwords; refuses non-superusers when SSO_ONLY.
    "portfolio.sso.PasswordBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portfolio:home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in: django-allauth (password form, OpenID Connect single sign-on, TOTP) ------------
# The login page is allauth's (portfolio/sso.py, templates/account/login.html); its form keeps the
# field names ``username`` and ``password``. No public sign-up: accounts come from the admin,
# ``create_pmo_user`` or a first single sign-on.
ACCOUNT_ADAPTER = "portfolio.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "portfolio.sso.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "portfolio.sso.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = False  # e-mail is no login here; two accounts may share a mailbox
ACCOUNT_SESSION_REMEMBER = True  # as before: the session outlives the browser window
# Django's database session store, its per-request read compiled once (portfolio/session_store.py).
SESSION_ENGINE = "portfolio.session_store"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
ACCOUNT_PREVENT_ENUMERATION = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button POSTs (CSRF) before leaving for the provider
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # accounts are matched by IdP subject, then username
SOCIALACCOUNT_STORE_TOKENS = False

#: OpenID Connect single sign-on (docs/deploy.md): on when OIDC_ISSUER and OIDC_CLIENT_ID are set.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "").strip() or "Sign in with single sign-on"
OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile email").split()
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "").strip() or "groups"
OIDC_PMO_GROUPS = env_list("OIDC_PMO_GROUPS")
OIDC_LEADERSHIP_GROUPS = env_list("OIDC_LEADERSHIP_GROUPS")
#: The provider id in URLs; the redirect URI to register at the provider is
#: <site>/accounts/oidc/sso/login/callback/
OIDC_PROVIDER_ID = "sso"
#: Password sign-in only for superusers (everyone else through OIDC).
SSO_ONLY = env_bool("SSO_ONLY", False)
if bool(OIDC_ISSUER) != bool(OIDC_CLIENT_ID):
    raise ImproperlyConfigured("OIDC_ISSUER and OIDC_CLIENT_ID go together (single sign-on).")
if SSO_ONLY and not OIDC_ISSUER:
    raise ImproperlyConfigured("SSO_ONLY=true needs single sign-on: set OIDC_ISSUER and more.")


def oidc_providers(issuer: str, client_id: str, secret: str, label: str, scopes: list[str]):
    """allauth's SOCIALACCOUNT_PROVIDERS for one OpenID Connect provider (none without issuer).
    Discovery from the issuer; PKCE; the ID token's ``iss`` must be the configured issuer (not
    merely what the discovery document says)."""
    if not issuer:
        return {}
    app = {
        "provider_id": OIDC_PROVIDER_ID,
        "name": label,
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": issuer.rstrip("/"),
            "openid_configuration_overrides": {"issuer": issuer},
            "fetch_userinfo": True,
        },
    }
    return {"openid_connect": {"APPS": [app], "OAUTH_PKCE_ENABLED": True, "SCOPE": scopes}}


SOCIALACCOUNT_PROVIDERS = oidc_providers(
    OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_BUTTON_LABEL, OIDC_SCOPES
)


def csp_form_action(issuer: str) -> list[str]:
    """CSP ``form-action``: our own pages, and the provider (the single sign-on button's POST is
    answered with a redirect to the provider's authorization endpoint, on the issuer's host;
    browsers check form-action on that redirect too)."""
    if not issuer:
        return [CSP.SELF]
    parts = urlsplit(issuer)
    return [CSP.SELF, f"{parts.scheme}://{parts.netloc}"]


# Two-factor sign-in (allauth.mfa): TOTP with recovery codes. MFA_REQUIRED: PMO members and
# superusers who sign in with a password must set it up before using the app (portfolio/mfa.py);
# everyone else may (the "Two-factor" page). Production turns it on by default.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Valuegate"
# One 30-second step either side (RFC 6238 §5.2): a code typed as its step ends, or read from a
# phone a few seconds off, still signs in; allauth's default of 0 refused it ("Incorrect code.").
# Each code is still good once (allauth remembers used codes over the whole window).
MFA_TOTP_TOLERANCE = 1
MFA_REQUIRED = env_bool("MFA_REQUIRED", False)
MFA_FORMS = {
    "authenticate": "portfolio.mfa.AuthenticateForm",
    "reauthenticate": "portfolio.mfa.ReauthenticateForm",
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security headers (hardened further in settings_production) --------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": csp_form_action(OIDC_ISSUER),
    "base-uri": [CSP.SELF],
}
# A form sent with an old or missing CSRF token: a 400 page in the layout saying to reload.
CSRF_FAILURE_VIEW = "portfolio.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Cache: the login limits' counters (shared by every worker when it is Redis) -------------
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "valuegate",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

# --- Client address and login throttling (portfolio/client_ip.py, throttling.py, login_limits.py)
#: Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated).
#: A bad entry stops start-up (``env_networks``) rather than silently trusting nobody.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# No "AXES: BEGIN version …" banner from every process that starts Django (issue 16).
AXES_VERBOSE = env_bool("AXES_VERBOSE", False)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10, low=1, high=1_000)
AXES_COOLOFF_TIME = 0.25  # hours
# Failures per username (from any address) and per address (for any username), each up to
# AXES_FAILURE_LIMIT. A successful login clears that username's failures only
# (portfolio.throttling.reset_failures_of_user), not those of its address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "portfolio.client_ip.client_ip"
# Failed passwords and failed two-factor codes both count here (portfolio/mfa.py feeds code
# failures to axes), in the database. allauth's own rate limits (counters in the cache) are off:
# one set of numbers, and sign-in still works when the cache is down (login_limits fails open).
ACCOUNT_RATE_LIMITS = False
AXES_LOCKOUT_CALLABLE = "portfolio.throttling.lockout_response"
#: Password checks allowed before one is made: (checks, window in seconds) per client address
#: and for the whole site (each check costs ~350 ms of CPU).
VALUEGATE_LOGIN_LIMITS = {
    "ip": (env_int("LOGIN_CHECKS_PER_IP_PER_MINUTE", 20, low=1, high=10**6), 60),
    "global": (env_int("LOGIN_CHECKS_PER_SECOND", 2, low=1, high=10**6), 1),
}

# --- API tokens (portfolio/api_tokens.py, django-rest-knox) -----------------------------------
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90, low=1, high=3_650)  # days a token is valid
REST_KNOX = {"AUTH_HEADER_PREFIX": "Token", "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS)}


# --- E-mail (Django 6.1 MAILERS) -----------------------------------------------------------
def mailers_from_env(default_backend: str) -> dict:
    backend = os.environ.get("EMAIL_BACKEND", default_backend)
    options: dict = {}
    if backend.endswith("smtp.EmailBackend"):
        options = {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": env_int("EMAIL_PORT", 25, low=1, high=65_535),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": 10,
        }
    elif backend.endswith("filebased.EmailBackend"):
        options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
    return {"default": {"BACKEND": backend, "OPTIONS": options}}


MAILERS = mailers_from_env("django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "valuegate@localhost")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with a ``WWW-Authenticate: Token`` challenge
    # (the first class answers it; SessionAuthentication has none, which would make it 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portfolio.api_tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # Error bodies that echo a lone surrogate the client sent can still be rendered (a 400).
    "EXCEPTION_HANDLER": "usecases.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Valuegate API",
    "DESCRIPTION": "AI portfolio governance: use cases, reviews, economics, flags and gates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files (drf-spectacular-sidecar): no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several components have a field named "status": name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "NinetyDayStatusEnum": "reviews.serializers.NINETY_DAY_STATUSES",
        "GateStatusEnum": "stagegates.models.GateStatus",
        "GateChoiceEnum": "stagegates.models.Choice",
        "AlertEventEnum": "usecases.models.AlertEvent",
        "ChangeKindEnum": "usecases.models.ChangeKind",
        "ProposalStatusEnum": "usecases.models.ProposalStatus",
        "ImpactStatusEnum": "reviews.change_impact.STATUSES",
    },
    # The error responses DRF gives (400/401/403/404) documented on every operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portfolio.openapi.document_error_responses",
    ],
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}
# Tests isolate their worker on a queue of their own (tests/worker_support.py).
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

# Cadence (reviews/cadence.py, reviews/reminders.py): reminders and PMO alerts run every
# VALUEGATE_CADENCE_INTERVAL seconds (and once when a worker starts); both are idempotent, so a
# short interval only costs a cheap query. Each run expires before the next one is sent, so a
# stopped worker does not find a pile of stale runs when it comes back.
VALUEGATE_CADENCE_INTERVAL = env_number("VALUEGATE_CADENCE_INTERVAL", 60.0, low=1, high=86_400)
VALUEGATE_CADENCE_ON_WORKER_START = env_bool("VALUEGATE_CADENCE_ON_WORKER_START", True)
VALUEGATE_CADENCE_LOOKBACK_WEEKS = env_int("VALUEGATE_CADENCE_LOOKBACK_WEEKS", 26, low=1, high=520)
VALUEGATE_CADENCE_LOOKBACK_MONTHS = env_int("VALUEGATE_CADENCE_LOOKBACK_MONTHS", 6, low=1, high=120)
CELERY_BEAT_SCHEDULE.update(
    {
        "send-review-reminders": {
            "task": "reviews.tasks.send_review_reminders",
            "schedule": VALUEGATE_CADENCE_INTERVAL,
            "options": {"expires": VALUEGATE_CADENCE_INTERVAL},
        },
        "notify-pmo-overdue": {
            "task": "reviews.tasks.notify_pmo_overdue",
            "schedule": VALUEGATE_CADENCE_INTERVAL,
            "options": {"expires": VALUEGATE_CADENCE_INTERVAL},
        },
        "send-pending-notification-emails": {
            "task": "usecases.tasks.send_pending_notification_emails",
            "schedule": 300.0,
            "options": {"expires": 300.0},
        },
    }
)
# Notification e-mails (usecases/notify.py): a sender leases a row for VALUEGATE_EMAIL_LEASE
# seconds; a lease that runs out without ``emailed_at`` (the sender died) is retried, at most
# VALUEGATE_EMAIL_MAX_ATTEMPTS times and only while the notification is younger than
# VALUEGATE_EMAIL_MAX_AGE_HOURS (an e-mail about last week's review is no use next month).
VALUEGATE_EMAIL_LEASE = env_int("VALUEGATE_EMAIL_LEASE", 600, low=1, high=86_400)
VALUEGATE_EMAIL_MAX_ATTEMPTS = env_int("VALUEGATE_EMAIL_MAX_ATTEMPTS", 5, low=1, high=100)
VALUEGATE_EMAIL_MAX_AGE_HOURS = env_int("VALUEGATE_EMAIL_MAX_AGE_HOURS", 48, low=1, high=8_760)
#: Absolute links in e-mails: the address users reach the web app at.
VALUEGATE_BASE_URL = os.environ.get("VALUEGATE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Alerts in chat (usecases/alerts.py, docs/alerts.md): one delivery per (event, channel), sent by
# the worker, retried VALUEGATE_ALERT_BACKOFF, 2x, 4x ... seconds apart up to
# VALUEGATE_ALERT_MAX_ATTEMPTS attempts, then marked failed. A sender leases a delivery for
# VALUEGATE_ALERT_LEASE seconds (a dead sender's delivery is taken up by the sweep after that).
VALUEGATE_ALERT_MAX_ATTEMPTS = env_int("VALUEGATE_ALERT_MAX_ATTEMPTS", 6, low=1, high=100)
VALUEGATE_ALERT_BACKOFF = env_number("VALUEGATE_ALERT_BACKOFF", 30.0, low=0, high=86_400)
VALUEGATE_ALERT_LEASE = env_int("VALUEGATE_ALERT_LEASE", 120, low=1, high=86_400)
VALUEGATE_ALERT_TIMEOUT = env_number("VALUEGATE_ALERT_TIMEOUT", 10.0, low=0.1, high=300)
# Channel URLs may not reach private, loopback or link-local addresses (SSRF) unless their host
# name or address is allowed here (comma-separated): e.g. ALERT_ALLOWED_HOSTS=chat.corp.example,
# ALERT_ALLOWED_NETWORKS=10.20.0.0/16.
VALUEGATE_ALERT_ALLOWED_HOSTS = [host.lower() for host in env_list("ALERT_ALLOWED_HOSTS")]
VALUEGATE_ALERT_ALLOWED_NETWORKS = env_networks("ALERT_ALLOWED_NETWORKS")
# The key that encrypts channel URLs and signing secrets at rest (a Fernet key:
# ``Fernet.generate_key()``); empty: derived from SECRET_KEY (rotating SECRET_KEY then makes the
# stored channels unreadable: set this one in production).
VALUEGATE_CHANNEL_KEY = os.environ.get("VALUEGATE_CHANNEL_KEY", "")
# The monthly CFO report by e-mail (portfolio/cfo_subscriptions.py): the 6th, after the monthly
# reviews are due; once per month and subscriber, so a rerun sends nothing more.
CELERY_BEAT_SCHEDULE["send-monthly-cfo-reports"] = {
    "task": "portfolio.tasks.send_monthly_cfo_reports",
    "schedule": crontab(minute=0, hour=6, day_of_month=6),
}
CELERY_BEAT_SCHEDULE["send-pending-channel-alerts"] = {
    "task": "usecases.tasks.send_pending_channel_alerts",
    "schedule": 60.0,
    "options": {"expires": 60.0},
}

# Stop-loss and early-warning sweep (reviews/sweep.py): the whole portfolio every 15 minutes;
# idempotent and safe when two runs overlap (unique flags, locked stage change).
CELERY_BEAT_SCHEDULE["sweep-stop-loss"] = {
    "task": "reviews.tasks.sweep_stop_loss",
    "schedule": crontab(minute="*/15"),
    "options": {"expires": 15 * 60},
}
# Stop-loss look-back (reviews/lookback.py): a breach in a period older than this many complete
# weeks (counted back from the last complete week) is recorded as historical: no flag, no stage
# change, no action item.
VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS = env_int("VALUEGATE_STOP_LOSS_LOOKBACK_WEEKS", 4, high=520)
# Early-warning signal thresholds (reviews/early_warnings.py; missing keys take its DEFAULTS).
VALUEGATE_SIGNALS = {
    "weeks_window": 4,  # savings vs backlog, exceptions growing: the last N submitted weeks
    "quality_drop_points": 5,  # mean quality after a change this far below the mean before it
    "min_weeks_after_change": 2,  # weeks of data after a model/prompt change before judging
    "max_weeks_after_change": 8,  # after that the change is the new normal
    "weeks_before_change": 4,  # compared with the mean of up to N weeks before the change
    "overdue_reviews": 2,  # no accountable owner: this many overdue reviews
    # declared vs measured: a review's active users or tasks with AI more than this many per
    # cent away from what telemetry measured that week (exactly 20 % is no signal)
    "declared_vs_measured_percent": 20,
}

# Stage gates (stagegates/tasks.py), all idempotent: the current quarter's gate exists (created at
# quarter start if the PMO did not), draft agendas pick up new candidates, and leadership members
# who have not voted are reminded from 3 days before closes_on (one notification per gate).
CELERY_BEAT_SCHEDULE.update(
    {
        "ensure-current-gate": {
            "task": "stagegates.tasks.ensure_current_gate",
            "schedule": crontab(minute=5),
            "options": {"expires": 3600},
        },
        "refresh-gate-agendas": {
            "task": "stagegates.tasks.refresh_agendas",
            "schedule": crontab(minute=10),
            "options": {"expires": 3600},
        },
        "remind-gate-voters": {
            "task": "stagegates.tasks.remind_voters",
            "schedule": crontab(minute=15),
            "options": {"expires": 3600},
        },
    }
)

# --- Valuegate ------------------------------------------------------------------------------
# The view of the use case page (URL ``usecases:detail``, registered by usecases/urls.py): it
# aggregates reviews, flags and gates, so it lives in the portfolio layer above ``usecases``.
VALUEGATE_USE_CASE_PAGE = "portfolio.use_case_page.use_case_page"

VALUEGATE_CURRENCY = os.environ.get("VALUEGATE_CURRENCY", "EUR")

# Votes a gate item needs for an outcome (stagegates/voting.py quorum_for). Empty (the default):
# more than half of the Leadership members at closing. An item with fewer votes, or a tie, has no
# outcome and the chair decides it explicitly.
VALUEGATE_GATE_QUORUM = env_int("VALUEGATE_GATE_QUORUM", 0, low=1, high=10_000) or None

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_one_line": {"()": "portfolio.log_filters.ForbiddenOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", LOG_LEVELS)},
    "loggers": {
        # Django's records go to the root's console only: its own default console handler
        # (DEBUG) printed each of them a second time ("Watching for file changes" twice).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
        # A 403 is one line, not a traceback (issue 13).
        "django.request": {"filters": ["forbidden_one_line"]},
        # WeasyPrint (the gate pack PDF) logs every layout step at INFO; its warnings stay.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Telemetry (issue 17, docs/telemetry.md): the OTLP/HTTP span ingest at /otlp/v1/traces.
VALUEGATE_TELEMETRY = {
    # Largest request body, compressed and decompressed (bytes): above it, 413.
    "max_body_bytes": env_int(
        "VALUEGATE_OTLP_MAX_BODY_BYTES", 4 * 1024 * 1024, low=1_024, high=2**30
    ),
    # Requests per ingest key per minute; above it, 429 with Retry-After.
    "requests_per_minute": env_int("VALUEGATE_OTLP_REQUESTS_PER_MINUTE", 1200, low=1, high=10**6),
    # Days the de-duplication rows (span ids, trace flags, user hashes) are kept; spans that
    # started longer ago are rejected (partial_success): they could be counted twice.
    "window_days": env_int("VALUEGATE_TELEMETRY_WINDOW_DAYS", 10, low=1, high=366),
    # gen_ai.evaluation.name of the quality score (0..1, shown 0..100).
    "quality_evaluation": os.environ.get("VALUEGATE_TELEMETRY_QUALITY_EVALUATION", "quality"),
    # gen_ai.evaluation.name of user feedback; a score below ``rework_below`` is rework.
    "feedback_evaluation": os.environ.get(
        "VALUEGATE_TELEMETRY_FEEDBACK_EVALUATION", "user_feedback"
    ),
    "rework_below": env_number("VALUEGATE_TELEMETRY_REWORK_BELOW", 0.5, low=0, high=1),
    # Salt of the user hashes (default: derived from SECRET_KEY).
    "user_salt": os.environ.get("VALUEGATE_TELEMETRY_USER_SALT", ""),
    # PostgreSQL: an OTLP request waits at most this long for a lock, and runs no statement
    # longer (milliseconds); then 503 with Retry-After, well inside gunicorn's 30 s timeout.
    "lock_timeout_ms": env_int("VALUEGATE_OTLP_LOCK_TIMEOUT_MS", 3000, low=1, high=30_000),
    "statement_timeout_ms": env_int(
        "VALUEGATE_OTLP_STATEMENT_TIMEOUT_MS", 15000, low=1, high=30_000
    ),
}
CELERY_BEAT_SCHEDULE["purge-telemetry"] = {
    "task": "reviews.tasks.purge_telemetry",
    "schedule": crontab(minute=25, hour=3),
    "options": {"expires": 3600},
}

#: Gates with more agenda items than this (as the reader sees them) get their pack PDF from a
#: Celery task (stagegates/pack_pdf_jobs.py); smaller ones render within the request. 10: a
#: rendering must end well inside gunicorn's 30 s timeout even on a loaded machine (make bench
#: measures a 40-item gate).
VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS = env_int("VALUEGATE_PACK_PDF_SYNC_MAX_ITEMS", 10, high=1_000)

# --- Evidence pack (issue 19; portfolio/evidence_pack.py, docs/evidence.md) -----------------------
#: How the installation names itself in an evidence pack's manifest (with VALUEGATE_BASE_URL).
VALUEGATE_SITE_NAME = os.environ.get("VALUEGATE_SITE_NAME", "Valuegate")


def _project_version() -> str:
    """The version in pyproject.toml (the image copies it), unless VALUEGATE_VERSION says."""
    import tomllib

    try:
        with open(BASE_DIR / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


VALUEGATE_VERSION = os.environ.get("VALUEGATE_VERSION") or _project_version()
#: The portfolio's evidence pack is built in a Celery task (portfolio/evidence_jobs.py) when it
#: would hold more use cases than VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES or more gate pack
#: PDFs than VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS; smaller ones are built within the request.
#: Measured on the CI machine under load (2 cores shared): about 0.3 s per use case without
#: PDFs and 2-2.5 s per gate pack PDF (the demo's 14 use cases and 7 PDFs: 21.6 s), so the
#: defaults keep a request near 10 s, well inside gunicorn's 30 s. A use case's own pack is always
#: built in the request (its few agenda items).
VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES = env_int(
    "VALUEGATE_EVIDENCE_PACK_SYNC_MAX_USE_CASES", 10, high=10_000
)
VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS = env_int(
    "VALUEGATE_EVIDENCE_PACK_SYNC_MAX_PDFS", 4, high=1_000
)
