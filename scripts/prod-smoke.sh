#!/usr/bin/env bash
# `make prod-smoke`: the docker-compose.yml shape as real processes on this machine.
#
# PostgreSQL (a fresh database `valuegate_smoke`) and Redis (database 14), production settings
# (plain HTTP on loopback: SECURE_SSL_REDIRECT=false), migrate + collectstatic, gunicorn with
# 2 workers on a free port, one Celery worker and Celery beat. Then scripts/smoke_flow.py drives a
# real flow over HTTP (token → weekly review breaching the stop-loss → flag in the API → a
# reminder the worker created). Everything started here is stopped on exit (each process runs in
# its own process group), the database is dropped and Redis database 14 flushed.
# Exit status 0 only if every step passed. Logs: var/prod-smoke/*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "prod-smoke: run 'make venv' first (or use 'make prod-smoke')" >&2; exit 2; }

SMOKE_DB=${SMOKE_DB:-valuegate_smoke}
PG=${SMOKE_PG:-postgres://postgres:postgres@127.0.0.1:5432}
REDIS_URL=${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/14}
RUN_DIR=var/prod-smoke
STARTED=$(date +%s)

say() { printf 'prod-smoke: %s\n' "$*"; }

bash scripts/services.sh >/dev/null

rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- the production environment (what docker-compose.yml passes to every app container) ------
unset CELERY_TASK_DEFAULT_QUEUE CELERY_RESULT_BACKEND DEBUG
export DJANGO_SETTINGS_MODULE=portfolio.settings_production
export SECRET_KEY
SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(60))')
export ALLOWED_HOSTS=127.0.0.1,localhost
export VALUEGATE_BASE_URL="http://127.0.0.1:$PORT"
export SECURE_SSL_REDIRECT=false
export DATABASE_URL="$PG/$SMOKE_DB"
export CELERY_BROKER_URL="$REDIS_URL"
export CACHE_URL="$REDIS_URL"  # the login limits' counters, shared by both gunicorn workers
export VALUEGATE_VAR_DIR="$PWD/$RUN_DIR"
export STATIC_ROOT="$PWD/$RUN_DIR/static"
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
export CONN_MAX_AGE=60
export WEB_CONCURRENCY=2 GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_GRACEFUL_TIMEOUT=5
# Beat enqueues the cadence tasks every 5 s (production: 60 s); the worker does not run them at
# start, so the reminder the flow waits for can only come from beat → Redis → worker.
export VALUEGATE_CADENCE_INTERVAL=5 VALUEGATE_CADENCE_ON_WORKER_START=false

db_admin() {  # db_admin create|drop
  $PY - "$1" "$PG/postgres" "$SMOKE_DB" <<'EOF'
import sys
import psycopg
action, admin_url, name = sys.argv[1:]
with psycopg.connect(admin_url, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if action == "create":
        conn.execute(f'CREATE DATABASE "{name}"')
EOF
}
flush_redis() {
  $PY -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()' "$REDIS_URL"
}

PIDS=()
NAMES=()
start() {  # start <name> <command...>: own session/process group, output to $RUN_DIR/<name>.log
  local name=$1; shift
  setsid "$@" >"$RUN_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
}
alive() { kill -0 -- "-$1" 2>/dev/null; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ ${#PIDS[@]} -gt 0 ]; then
    say "stopping ${NAMES[*]}"
    for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 1 40); do
      local any=0
      for pid in "${PIDS[@]}"; do alive "$pid" && any=1; done
      [ $any = 0 ] && break
      sleep 0.25
    done
    for i in "${!PIDS[@]}"; do
      if alive "${PIDS[$i]}"; then
        say "${NAMES[$i]} did not stop in 10 s: SIGKILL"
        kill -KILL -- "-${PIDS[$i]}" 2>/dev/null || true
      fi
    done
    wait 2>/dev/null || true
  fi
  db_admin drop >/dev/null 2>&1 || say "could not drop database $SMOKE_DB"
  flush_redis >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ]; then
    for name in "${NAMES[@]}"; do
      echo "----- last lines of $RUN_DIR/$name.log"
      tail -n 25 "$RUN_DIR/$name.log" 2>/dev/null || true
    done
  fi
  say "$([ "$status" -eq 0 ] && echo PASSED || echo "FAILED (exit $status)") in $(($(date +%s) - STARTED)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "fresh database $SMOKE_DB, Redis $REDIS_URL, port $PORT"
db_admin create
flush_redis
$PY manage.py migrate --noinput >"$RUN_DIR/migrate.log" 2>&1 \
  || { tail -n 20 "$RUN_DIR/migrate.log"; exit 1; }
$PY manage.py collectstatic --noinput >"$RUN_DIR/collectstatic.log" 2>&1 \
  || { tail -n 20 "$RUN_DIR/collectstatic.log"; exit 1; }
say "migrated, $(grep -o '[0-9]* static files copied' "$RUN_DIR/collectstatic.log")"

start web "$PY" -m gunicorn --config gunicorn.conf.py
start worker "$PY" -m celery --app=portfolio worker --loglevel=INFO --concurrency=2 \
  --hostname="smoke@%h"
start beat "$PY" -m celery --app=portfolio beat --loglevel=INFO \
  --schedule="$RUN_DIR/celerybeat-schedule" --pidfile=

healthy=0
for _ in $(seq 1 60); do
  # The health check docker-compose.yml gives the web container.
  if $PY scripts/healthcheck.py >/dev/null 2>&1; then healthy=1; break; fi
  for i in "${!PIDS[@]}"; do
    alive "${PIDS[$i]}" || { say "${NAMES[$i]} exited during start-up"; exit 1; }
  done
  sleep 0.5
done
[ $healthy = 1 ] || { say "/healthz did not answer within 30 s"; exit 1; }
say "web healthy: gunicorn pid ${PIDS[0]} with $(pgrep -P "${PIDS[0]}" | wc -l) workers, celery worker pid ${PIDS[1]}, beat pid ${PIDS[2]}"

set +e
$PY scripts/smoke_flow.py --base-url "http://127.0.0.1:$PORT" --reminder-timeout 60
flow_status=$?
set -e

# --- the processes themselves --------------------------------------------------------------
checks_failed=0
check() {  # check <description> <command...>
  local what=$1; shift
  if "$@"; then echo "  PASS  $what"; else echo "  FAIL  $what"; checks_failed=$((checks_failed + 1)); fi
}
check "gunicorn runs 2 workers" test "$(pgrep -P "${PIDS[0]}" | wc -l)" -eq 2
for i in "${!PIDS[@]}"; do check "${NAMES[$i]} still running" alive "${PIDS[$i]}"; done
check "worker answers celery inspect ping (its compose health check)" \
  bash -c "$PY -m celery --app=portfolio inspect ping --destination 'smoke@$(hostname)' --timeout 10 >/dev/null 2>&1"
check "beat wrote its schedule file" bash -c "compgen -G '$RUN_DIR/celerybeat-schedule*' >/dev/null"
check "beat sent the cadence task" grep -q "Sending due task send-review-reminders" "$RUN_DIR/beat.log"
check "worker ran it" grep -q "reviews.tasks.send_review_reminders.*succeeded" "$RUN_DIR/worker.log"
check "no traceback in the web, worker or beat logs" \
  bash -c "! grep -l 'Traceback' $RUN_DIR/web.log $RUN_DIR/worker.log $RUN_DIR/beat.log"

if [ "$flow_status" -ne 0 ] || [ "$checks_failed" -ne 0 ]; then
  say "flow exit $flow_status, $checks_failed process check(s) failed"
  exit 1
fi
