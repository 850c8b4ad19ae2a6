# syntax=docker/dockerfile:1
# Multi-stage build: dependencies are resolved from uv.lock in a builder; the runtime image has the venv only.
# .dockerignore keeps .venv, var/, .git and other local state out of the build context (and so out of `COPY . .`).

FROM python:3.11-slim-bookworm AS builder
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir 'uv>=0.10,<1'
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=cms.settings.production \
    PORT=8000
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjpeg62-turbo libwebp7 zlib1g curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 learnhub
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=learnhub:learnhub . .
# collectstatic at build time; a throwaway key is enough since nothing is signed here.
RUN SECRET_KEY=collectstatic-only-$(date +%s)-build-key-not-used-at-runtime-xxxxxxxxxxxx \
    ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R learnhub:learnhub /app/var /app/static_collected
USER learnhub
EXPOSE 8000
# The probe asks 127.0.0.1 inside the container; /health/* answers whatever ALLOWED_HOSTS is (cms/health.py).
# Containers from this image that serve no HTTP (workers, the one-shot setup) turn it off in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl --fail --silent --max-time 4 "http://127.0.0.1:${PORT}/health/liveness/" || exit 1
# Migrations and schedules are a release step (`manage.py migrate && manage.py setup`: docker-compose.yml's
# one-shot `setup` service), not part of CMD.
CMD ["sh", "-c", "gunicorn cms.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --max-requests 1000 --max-requests-jitter 100 --access-logfile -"]
