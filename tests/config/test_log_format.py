"""Log lines of the web process and of the worker: one format, one zone, which they state."""

from __future__ import annotations

import datetime
import logging
import re
from pathlib import Path

import pytest

from config.log_format import ZonedFormatter, ZonedJsonFormatter
from tests.helpers import run_python

# 01:00 UTC on 19 June 2024.
INSTANT = datetime.datetime(2024, 6, 19, 1, 0, tzinfo=datetime.UTC).timestamp()


def record_at(created: float) -> logging.LogRecord:
    record = logging.LogRecord("tracker", logging.WARNING, __file__, 1, "sent", None, None)
    record.created, record.msecs = created, 0.0
    return record


@pytest.mark.parametrize(
    ("zone", "stamp"),
    [
        ("Asia/Shanghai", "2024-06-19 09:00:00.000+08:00"),
        ("America/New_York", "2024-06-18 21:00:00.000-04:00"),
        ("UTC", "2024-06-19 01:00:00.000+00:00"),
    ],
)
def test_timestamps_are_in_the_zone_given_with_its_offset(zone: str, stamp: str) -> None:
    # whatever the process's own zone (the test run's is TIME_ZONE, Asia/Shanghai)
    formatter = ZonedFormatter(fmt="%(asctime)s %(message)s", zone=zone)
    assert formatter.format(record_at(INSTANT)) == f"{stamp} sent"
    json_formatter = ZonedJsonFormatter(fmt="%(asctime)s %(message)s", zone=zone)
    assert f'"asctime": "{stamp}"' in json_formatter.format(record_at(INSTANT))


# A line as the plain format writes it, in Asia/Kolkata (+05:30, never daylight saving).
LINE = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+05:30 WARNING tracker \[-\] token=\[redacted\] sent"
)
LOG_A_TOKEN = "logging.getLogger('tracker').warning('token=itk_secretsecretsecret sent')"


@pytest.mark.parametrize(
    ("process", "set_up_logging"),
    [
        ("web", "import django; django.setup()"),
        # What a Celery worker (and beat) does first: set up logging through the app.
        ("worker", "from config.celery import app; app.log.setup(loglevel='INFO')"),
    ],
)
def test_web_and_worker_log_the_same_lines(
    process: str, set_up_logging: str, tmp_path: Path
) -> None:
    result = run_python(
        f"import logging; {set_up_logging}; {LOG_A_TOKEN}",
        {"DEBUG": "true", "TIME_ZONE": "Asia/Kolkata", "TZ": "UTC", "VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert LINE.fullmatch(result.stderr.strip().splitlines()[-1]), (process, result.stderr)
