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


def post_worker_init(worker):
    """Warm a new worker before its first request: every URL configuration and view module
    imported and the URL names of every namespace indexed for ``reverse()``; the Celery
    producer's broker connection open (the first e-mail enqueued after a commit would otherwise
    spend ~0.6 s CPU setting it up). A broker that is down is only logged: the e-mail sweep
    sends what could not be enqueued. Then everything loaded so far (Django, the app, the URL
    configuration) is moved out of the garbage collector's sight (``gc.freeze``): it lives as long
    as the worker, and a full collection no longer walks it (~0.1 s of CPU, and of latency for the
    request it lands in, every few hundred requests)."""
    import gc

    from django.urls import get_resolver

    def index(resolver):
        resolver.reverse_dict  # noqa: B018 - imports its urls and views modules, indexes names
        for _prefix, namespaced in resolver.namespace_dict.values():
            index(namespaced)

    index(get_resolver())
    try:
        from portfolio.celery import app

        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu.exceptions.OperationalError and kin
        worker.log.warning("worker warm-up: no broker connection (%s)", exc)
    gc.collect()
    gc.freeze()
