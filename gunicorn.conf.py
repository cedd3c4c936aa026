"""Gunicorn settings of the production shape (Dockerfile, docker-compose.yml, ``make prod-smoke``).

Every value comes from the environment, so one image serves every size of installation:
``WEB_CONCURRENCY`` workers (default 2 × CPU + 1) on ``GUNICORN_BIND``.
"""

import multiprocessing
import os

wsgi_app = "portfolio.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: a disk-backed /tmp can stall workers (gunicorn's own advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The reverse proxy in front that may set X-Forwarded-* (Django trusts X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER; the proxy must overwrite it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicornc's control socket (``worker add 2`` at run time) only where a path is given: the
# default under $HOME would collide between two gunicorns of one user (prod-smoke next to bench).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
