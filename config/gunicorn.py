"""gunicorn settings for production (`gunicorn config.wsgi:application -c python:config.gunicorn`).

Each value can be overridden with gunicorn's own GUNICORN_CMD_ARGS or WEB_CONCURRENCY.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# The usual 2 x cores + 1 sync workers. Each holds at most one database connection
# (CONN_MAX_AGE keeps it open), so PostgreSQL's max_connections must exceed the sum of workers
# across instances plus the Celery worker's concurrency.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# The request path without its query string: feed tokens travel in calendar feed URLs.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
# ...and what a mangled URL still carries in its path is redacted, as in the app's own logs.
logger_class = "config.log_filters.GunicornLogger"
# The proxies whose X-Forwarded-* headers are believed: the same list the app uses to find a
# client's address (TRUSTED_PROXIES, none by default).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
