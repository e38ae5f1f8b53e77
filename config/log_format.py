"""Log formatters whose timestamps are in TIME_ZONE and say their offset.

logging's own formatters write the process's local time without an offset. That is TIME_ZONE
only once Django has set the process's TZ, and only where the system has a zone database;
either way a reader cannot tell which zone a line is in. These read the zone from the Python
zone database (which the ``tzdata`` package provides everywhere) and write it down, so the web
process and the worker stamp their lines alike, as the emails and deadlines speak of time.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any
from zoneinfo import ZoneInfo

from pythonjsonlogger.json import JsonFormatter


class ZonedFormatter(logging.Formatter):
    """logging's formatter, with ``asctime`` as ``2024-06-19 09:00:00.000+08:00`` in ``zone``
    (or as ``datefmt`` says)."""

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, tz=self.zone)
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(sep=" ", timespec="milliseconds")


class ZonedJsonFormatter(ZonedFormatter, JsonFormatter):
    """One JSON object a line (python-json-logger), with the same timestamps."""
