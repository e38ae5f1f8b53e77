# Production image: the web app under gunicorn, and the same image for the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app
RUN useradd --create-home --uid 1000 tracker

COPY pyproject.toml README.md ./
COPY config ./config
COPY initiatives ./initiatives
COPY tracker ./tracker
COPY fixtures ./fixtures
COPY manage.py ./
RUN pip install . \
    # collectstatic reads the settings, so it gets a key of its own that is thrown away after.
    && SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
       python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown tracker /app/var

USER tracker
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn"]
