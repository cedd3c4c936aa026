"""Gunicorn settings of the production shape (Dockerfile, docker-compose.yml, ``make prod-smoke``).

Every value comes from the environment, so one image serves every size of installation:
``WEB_CONCURRENCY`` sync workers (default: one per CPU core) on ``GUNICORN_BIND``.
"""

import multiprocessing
import os

wsgi_app = "portfolio.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# One sync worker per CPU core (docs/deploy.md, "The worker model": measured with the mixed load,
# more processes or threads only made the heavy portfolio pages fight over the same cores).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The application is loaded once, in the master, and every worker is a fork of it: a recycled
# worker serves within milliseconds instead of importing Django and the app again (about a
# second of a core, during which the other workers carry its share: under the mixed load at
# 100 req/s on 2 cores that queue was the whole p95, 3.2 s with recycling against 83 ms
# without; docs/deploy.md, "The worker model"). New code therefore needs a restart of gunicorn
# (the container), not a HUP.
preload_app = True
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


def when_ready(server):
    """In the master, once, after the application is loaded (``preload_app``) and before the
    first fork, so no worker does it on its first requests: every URL configuration and view
    module imported and the URL names of every namespace indexed for ``reverse()``; the site's
    templates (``templates/``) compiled into the cached loader. No database connection is left
    open to be inherited by a fork (two processes on one socket). Then everything loaded so far
    is moved out of the garbage collector's sight (``gc.freeze``): it lives as long as the
    server, a worker's full collection no longer walks it (~0.1 s of CPU, and of latency for the
    request it lands in, every few hundred requests), and the forks keep sharing its pages."""
    import gc
    from pathlib import Path

    from django.db import connections
    from django.template import engines
    from django.urls import get_resolver

    def index(resolver):
        resolver.reverse_dict  # noqa: B018 - imports its urls and views modules, indexes names
        for _prefix, namespaced in resolver.namespace_dict.values():
            index(namespaced)

    index(get_resolver())
    templates = engines["django"]
    for directory in templates.engine.dirs:
        for path in sorted(Path(directory).rglob("*.html")):
            templates.get_template(path.relative_to(directory).as_posix())
    connections.close_all()
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """In each worker, before its first request: the Celery producer's broker connection open
    (the first e-mail enqueued after a commit would otherwise spend ~0.6 s CPU setting it up);
    a connection is a process's own, so it is made after the fork. A broker that is down is only
    logged: the e-mail sweep sends what could not be enqueued."""
    try:
        from portfolio.celery import app

        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu.exceptions.OperationalError and kin
        worker.log.warning("worker warm-up: no broker connection (%s)", exc)
