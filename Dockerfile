# Valuegate production image: one image for web (gunicorn), Celery worker, Celery beat and the
# one-shot migration; docker-compose.yml picks the command. See docs/deploy.md.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portfolio.settings_production \
    VALUEGATE_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /app

RUN groupadd --system --gid 10001 valuegate \
 && useradd --system --uid 10001 --gid valuegate --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin valuegate

# Dependencies first (a layer that changes only with pyproject.toml): exactly the pinned
# [project] dependencies, without the dev extras.
# WeasyPrint renders the gate pack PDFs with Pango.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .

# Static files, collected once at build time with the production settings (hashed names,
# compressed, served by WhiteNoise). The key and hosts below exist only for this build step.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput --verbosity 0 \
 && rm -f /tmp/build.sqlite3 \
 && mkdir -p /app/var /beat \
 && chown valuegate:valuegate /app/var /beat

USER valuegate
EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
