"""Production settings: everything secret or host-specific must come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list
from .settings import *  # noqa: F403
from .settings import mailers_from_env

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) the site is served on.")
# Links in e-mails: the public address; by default https:// on the first allowed host.
VALUEGATE_BASE_URL = os.environ.get("VALUEGATE_BASE_URL", "").rstrip("/")
if not VALUEGATE_BASE_URL:
    if ALLOWED_HOSTS[0].startswith((".", "*")):
        raise ImproperlyConfigured(
            "VALUEGATE_BASE_URL must be set when the first of ALLOWED_HOSTS is a wildcard."
        )
    VALUEGATE_BASE_URL = f"https://{ALLOWED_HOSTS[0]}"

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, high=10**9)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STORAGES["staticfiles"] = {"BACKEND": "portfolio.staticfiles.ManifestStaticFilesStorage"}  # noqa: F405
# Two-factor sign-in for PMO members and superusers who use a password (portfolio/mfa.py).
MFA_REQUIRED = env_bool("MFA_REQUIRED", True)
MAILERS = mailers_from_env("django.core.mail.backends.smtp.EmailBackend")
