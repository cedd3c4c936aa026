#!/usr/bin/env bash
# The zero-setup development shape: SQLite + an embedded SQLAlchemy broker, Celery worker with
# beat in the background, Django's server in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
$PY manage.py migrate --noinput
$PY manage.py seed_demo
.venv/bin/celery -A portfolio worker -B --loglevel=INFO --concurrency=2 \
  --schedule var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null' EXIT INT TERM
echo "Celery worker + beat running (pid $WORKER, log: var/celery.log)"
$PY manage.py runserver 127.0.0.1:${PORT:-8000}
