"""The Celery app shared by the web process, the worker and beat.

Its configuration is the CELERY_* block of config/settings.py.
"""

import logging.config
import os
from pathlib import Path
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def ensure_broker_folders(sender: Celery, **_: Any) -> None:
    """Create kombu's filesystem-broker folders: the transport fails on a missing one.

    Runs once per process (web, worker, beat) when the configuration is first read.
    """
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@signals.setup_logging.connect
def log_as_the_web_process_does(**_: Any) -> None:
    """The worker and beat log through Django's LOGGING (config/settings.py), not Celery's own
    set-up: the same format and zone as the web process, request ids, LOG_FORMAT and LOG_LEVEL,
    and the filter that keeps tokens out of every line.

    Celery leaves logging alone when this signal has a receiver (so ``--loglevel`` no longer
    applies; LOG_LEVEL does).
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
