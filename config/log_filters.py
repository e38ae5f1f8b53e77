"""Logging filters: secrets never reach a log line, the project's or gunicorn's."""

import logging
import re
from typing import Any

from gunicorn import glogging

# Feed tokens travel in URLs (calendar apps cannot send headers), so request logs would
# otherwise record them, however the URL is mangled (";token=", "%3Ftoken%3D"); API tokens
# are redacted too, wherever one appears.
SECRET_IN_TEXT = re.compile(
    r"(token(?:=|%3D))[^&\s\"']+|(it[kc]_)[A-Za-z0-9_-]{8,}", flags=re.IGNORECASE
)


def redact(text: str) -> str:
    return SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger (``logger_class``), its access and error lines redacted alike."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(RedactSecrets())
