"""Logging filters: secrets never reach a log line."""

import logging
import re

# Feed tokens travel in URLs (calendar apps cannot send headers), so request logs would
# otherwise record them; API tokens are redacted too, wherever one appears.
SECRET_IN_TEXT = re.compile(r"(token=)[^&\s\"']+|\b(it[kc]_)[A-Za-z0-9_-]{8,}")


def redact(text: str) -> str:
    return SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
