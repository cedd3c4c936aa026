"""The login limits hold across processes: with Redis as the cache (production: ``CACHE_URL``),
what one gunicorn worker counted, another process sees. A real second Python process, a real
Redis (the suite's test Redis, ``VALUEGATE_TEST_REDIS_URL``); skipped when no Redis answers."""

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.test import RequestFactory

from portfolio.login_limits import LoginThrottled, check_budget

REDIS_URL = os.environ.get("VALUEGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_DIR = Path(__file__).resolve().parents[2]

#: One check per (very long) window for the whole site: the second check anywhere is refused.
LIMITS = {"ip": [100, 86_400], "global": [1, 86_400]}

OTHER_PROCESS = """
import json, sys
import django
django.setup()
from django.conf import settings
settings.CACHES = json.loads(sys.argv[1])
settings.VALUEGATE_LOGIN_LIMITS = {k: tuple(v) for k, v in json.loads(sys.argv[2]).items()}
from django.test import RequestFactory
from portfolio.login_limits import LoginThrottled, check_budget
try:
    check_budget(RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.2"))
    print("checked")
except LoginThrottled as exc:
    print(f"throttled {exc.wait}")
"""


def _redis_answers() -> bool:
    url = urlparse(REDIS_URL)
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((url.hostname or "127.0.0.1", url.port or 6379)) == 0


pytestmark = pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_URL}")


def test_a_budget_spent_in_one_process_is_spent_in_another(settings):
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-login-limits-{uuid.uuid4().hex}",  # this run's counters only
        }
    }
    settings.CACHES = caches
    settings.VALUEGATE_LOGIN_LIMITS = {k: tuple(v) for k, v in LIMITS.items()}
    check_budget(RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.1"))
    with pytest.raises(LoginThrottled):  # this process sees its own count ...
        check_budget(RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.3"))

    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "portfolio.settings"
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, json.dumps(caches), json.dumps(LIMITS)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # ... and so does another process, from another address: the site-wide ceiling is shared.
    assert result.stdout.strip().splitlines()[-1].startswith("throttled"), result.stdout
