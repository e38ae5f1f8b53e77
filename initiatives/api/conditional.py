"""Conditional GET for polled endpoints (lists and the dashboard).

The answer carries an ``ETag`` hashed from its content; a client that sends it back in
``If-None-Match`` gets ``304 Not Modified`` and no body, so a front-end polling every few
seconds costs a query but no transfer, parsing or re-rendering on its side. (Versioned details
carry the ETag of ``VersionedModelViewSet``, which If-Match is checked against.)
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework.request import Request


def content_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def not_modified(request: Request, response: Any) -> Any:
    """``304 Not Modified`` when the request's If-None-Match holds the response's ETag, with
    the headers a cache needs; otherwise the response itself."""
    response["Cache-Control"] = "private, no-cache"  # per user, and always revalidated
    if response["ETag"] not in parse_etags(request.headers.get("If-None-Match", "")):
        return response
    answer = HttpResponseNotModified()
    for header in ("ETag", "Cache-Control", "Vary"):
        if header in response:
            answer[header] = response[header]
    return answer


class ContentETagMixin:
    conditional_get = False  # True on views other than viewset lists (the dashboard)

    def is_conditional(self) -> bool:
        return self.conditional_get or getattr(self, "action", None) == "list"

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        conditional = request.method in ("GET", "HEAD") and self.is_conditional()
        if not conditional or response.status_code != 200 or response.streaming:
            return response
        if "ETag" not in response:  # a versioned detail brings its own
            response.render()
            response["ETag"] = quote_etag(content_digest(response.content))
        return not_modified(request, response)
