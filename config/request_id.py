"""A request id on every log line and response, so one request can be followed through logs.

A well-formed ``X-Request-ID`` from the proxy is kept (so its logs and ours match); otherwise a
new one is made.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if ACCEPTED.fullmatch(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs the response ("Unauthorized: …") after the
        # middleware returns, and that line belongs to this request too. The next request on
        # this thread sets its own id before anything is logged.
        REQUEST_ID.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request: tasks, commands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True
