#!/usr/bin/env bash
# `make bench` (BENCH_SIZE=full) / `make bench-small`: the performance benchmark of issue 9.
#
# A fresh PostgreSQL database `valuegate_bench` (BENCH_DB), migrated; benchmarks/generate.py fills
# it (full: 2,000 use cases × 104 weekly + 24 monthly reviews, bulk COPY); gunicorn with 2 workers
# serves it with production settings (plain HTTP on loopback: SECURE_SSL_REDIRECT=false); then
# benchmarks/measure.py prints one table (sweep, pages, submissions over HTTP, each beside its
# floor; spans from the OpenTelemetry SDK into /otlp/v1/traces beside their decode floor).
# Everything started here is stopped on exit (gunicorn runs in its own process group);
# the only thing dropped is the bench database, and the only Redis database flushed is 13
# (BENCH_REDIS_URL), the benchmark's own. BENCH_KEEP_DB=1 keeps the database for a look.
# Exit status: 0 when every step ran (a missed target is reported as ABOVE, not a failure;
# BENCH_STRICT=1 makes it one). BENCH_ONLY=submission (sweep, pages, pdf, otlp; comma-separated) measures
# only those parts. Logs, plans and profiles: var/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "bench: run 'make venv' first (or use 'make bench')" >&2; exit 2; }

SIZE=${BENCH_SIZE:-full}
BENCH_DB=${BENCH_DB:-valuegate_bench}
case "$BENCH_DB" in valuegate_bench*) ;; *) echo "bench: BENCH_DB must start with valuegate_bench" >&2; exit 2 ;; esac
PG=${BENCH_PG:-postgres://postgres:postgres@127.0.0.1:5432}
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/13}
RUN_DIR=${BENCH_RUN_DIR:-var/bench}
STARTED=$(date +%s)

say() { printf 'bench: %s\n' "$*"; }

bash scripts/services.sh >/dev/null

rm -rf "$RUN_DIR" && mkdir -p "$RUN_DIR"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# --- the production environment (as docker-compose.yml passes it), plus the test client's host --
unset CELERY_TASK_DEFAULT_QUEUE CELERY_RESULT_BACKEND DEBUG
export DJANGO_SETTINGS_MODULE=portfolio.settings_production
export SECRET_KEY
SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_urlsafe(60))')
export ALLOWED_HOSTS=127.0.0.1,localhost,testserver
# The load client logs in once per benchmark user from one address, as fast as it can: the
# password-check ceilings that protect a real site (portfolio/login_limits.py) would refuse it.
export LOGIN_CHECKS_PER_SECOND=10000 LOGIN_CHECKS_PER_IP_PER_MINUTE=1000000
# The pages are measured as the PMO (force_login); two-factor set-up, required for the PMO under
# the production settings, would answer every page with a redirect to it.
export MFA_REQUIRED=false
export VALUEGATE_BASE_URL="http://127.0.0.1:$PORT"
export SECURE_SSL_REDIRECT=false
export DATABASE_URL="$PG/$BENCH_DB"
export CELERY_BROKER_URL="$REDIS_URL"
export VALUEGATE_VAR_DIR="$PWD/$RUN_DIR"
export STATIC_ROOT="$PWD/$RUN_DIR/static"
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export CONN_MAX_AGE=60
export LOG_LEVEL=WARNING
# The worker model under test: BENCH_WORKERS processes of BENCH_THREADS threads (gthread when > 1).
export WEB_CONCURRENCY=${BENCH_WORKERS:-2} GUNICORN_THREADS=${BENCH_THREADS:-1}
export GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_GRACEFUL_TIMEOUT=5
export GUNICORN_LOG_LEVEL=warning

db_admin() {  # db_admin create|drop
  $PY - "$1" "$PG/postgres" "$BENCH_DB" "${BENCH_TEMPLATE:-}" <<'EOF'
import sys
import psycopg
action, admin_url, name, template = sys.argv[1:]
assert name.startswith("valuegate_bench"), name
assert not template or (template.startswith("valuegate_bench") and template != name), template
with psycopg.connect(admin_url, autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if action == "create":
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
EOF
}
flush_redis() {
  $PY -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()' "$REDIS_URL"
}

WEB_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$WEB_PID" ]; then
    kill -TERM -- "-$WEB_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$WEB_PID" 2>/dev/null || break; sleep 0.25; done
    if kill -0 -- "-$WEB_PID" 2>/dev/null; then
      say "gunicorn did not stop in 10 s: SIGKILL"
      kill -KILL -- "-$WEB_PID" 2>/dev/null || true
    fi
    wait "$WEB_PID" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP_DB:-0}" = 1 ]; then
    say "kept database $BENCH_DB (BENCH_KEEP_DB=1)"
  else
    db_admin drop >/dev/null 2>&1 || say "could not drop database $BENCH_DB"
  fi
  flush_redis >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ] && [ -f "$RUN_DIR/web.log" ]; then
    echo "----- last lines of $RUN_DIR/web.log"; tail -n 25 "$RUN_DIR/web.log" || true
  fi
  say "$([ "$status" -eq 0 ] && echo DONE || echo "FAILED (exit $status)") in $(($(date +%s) - STARTED)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "size $SIZE: fresh database $BENCH_DB, Redis $REDIS_URL, port $PORT"
db_admin create
flush_redis
t0=$(date +%s)
# BENCH_TEMPLATE=<a migrated, empty valuegate_bench* database>: the bench database is a copy of
# it (CREATE DATABASE … TEMPLATE; nothing connected to it meanwhile), migrate only applies what is
# newer. Saves the migration time on a loaded machine; the template is never changed.
$PY manage.py migrate --noinput >"$RUN_DIR/migrate.log" 2>&1 \
  || { tail -n 20 "$RUN_DIR/migrate.log"; exit 1; }
$PY manage.py collectstatic --noinput >"$RUN_DIR/collectstatic.log" 2>&1 \
  || { tail -n 20 "$RUN_DIR/collectstatic.log"; exit 1; }
say "migrated and static files collected in $(($(date +%s) - t0)) s"

t0=$(date +%s)
$PY -m benchmarks.generate --size "$SIZE"
gen_seconds=$(($(date +%s) - t0))
case "$SIZE" in
  full) gen_target=120 ;;
  xl) gen_target=300 ;;
  *) gen_target=0 ;;
esac
if [ "$gen_target" -gt 0 ] && [ "$gen_seconds" -gt "$gen_target" ]; then
  say "generation took $gen_seconds s: above its $((gen_target / 60))-minute target"
else
  say "generation took $gen_seconds s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
fi

setsid "$PY" -m gunicorn --config gunicorn.conf.py >"$RUN_DIR/web.log" 2>&1 &
WEB_PID=$!
healthy=0
for _ in $(seq 1 60); do
  if $PY scripts/healthcheck.py >/dev/null 2>&1; then healthy=1; break; fi
  kill -0 "$WEB_PID" 2>/dev/null || { say "gunicorn exited during start-up"; exit 1; }
  sleep 0.5
done
[ $healthy = 1 ] || { say "/healthz did not answer within 30 s"; exit 1; }
say "gunicorn pid $WEB_PID with $(pgrep -P "$WEB_PID" | wc -l) workers on 127.0.0.1:$PORT"

if [ "${BENCH_MIX:-0}" = 1 ]; then
  # make bench-mix: the mixed load of issue 20 instead of the table (benchmarks/mix.py).
  say "mixed load: ${MIX_RATE:-100} req/s for ${MIX_SECONDS:-600} s" \
    "(gunicorn $WEB_CONCURRENCY workers × $GUNICORN_THREADS threads)"
  $PY -m benchmarks.mix --base-url "http://127.0.0.1:$PORT" --gunicorn-pid "$WEB_PID" \
    --rate "${MIX_RATE:-100}" --seconds "${MIX_SECONDS:-600}"
  exit $?
fi

measure_args=(--size "$SIZE" --base-url "http://127.0.0.1:$PORT" --run-dir "$RUN_DIR")
[ "${BENCH_STRICT:-0}" = 1 ] && measure_args+=(--strict)
# BENCH_ONLY=submission (or sweep, pages, pdf, otlp; comma-separated): measure only those parts.
if [ -n "${BENCH_ONLY:-}" ]; then
  IFS=, read -ra only_parts <<<"$BENCH_ONLY"
  for part in "${only_parts[@]}"; do measure_args+=(--only "$part"); done
fi
$PY -m benchmarks.measure "${measure_args[@]}"
