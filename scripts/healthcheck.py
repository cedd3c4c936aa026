"""Container health check of the web service: GET /healthz on the local gunicorn → exit 0 or 1.

Standard library only. The Host header is the first of ALLOWED_HOSTS (Django refuses others);
/healthz is exempt from the HTTPS redirect, so plain HTTP inside the container is enough.
"""

import os
import sys
import urllib.request

host = (os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip() or "localhost").lstrip(
    "."
)
if host == "*":
    host = "localhost"
port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",")[0].rsplit(":", 1)[-1]
request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # any failure is "unhealthy"
    print(f"healthz failed: {exc}", file=sys.stderr)
    sys.exit(1)
