#!/usr/bin/env bash
# The zero-setup development shape: SQLite + an embedded SQLAlchemy broker, Celery worker with
# beat in the background, Django's server in the foreground. Ctrl-C stops both.
# PORT=8123 make run serves on another port. Start-up prints one block: the address and the
# demo logins (manage.py rundemo); the worker logs to var/celery.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p var
echo "Preparing the demo database (var/valuegate.sqlite3): migrations and demo data..."
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo --quiet
.venv/bin/celery -A portfolio worker -B --loglevel=INFO --concurrency=2 \
  --schedule var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!
stop_worker() {
  kill "$WORKER" 2>/dev/null || return 0
  for _ in $(seq 20); do  # a warm shutdown finishes the running task; then it is stopped
    kill -0 "$WORKER" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "$WORKER" 2>/dev/null || true
}
trap stop_worker EXIT INT TERM
# One process (no autoreloader: it would start the app twice); checks ran with migrate.
$PY manage.py rundemo --noreload --skip-checks "127.0.0.1:${PORT:-8000}"
