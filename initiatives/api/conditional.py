"""Conditional GET for polled endpoints (lists and the dashboard).

The answer carries an ``ETag`` hashed from its content; a client that sends it back in
``If-None-Match`` gets ``304 Not Modified`` and no body, so a front-end polling every few
seconds costs a query but no transfer, parsing or re-rendering on its side. (Details carry the
version ETag instead, for If-Match; see ``VersionedModelViewSet``.)
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework.request import Request


class ContentETagMixin:
    conditional_get = False  # True on views other than viewset lists (the dashboard)

    def is_conditional(self) -> bool:
        return self.conditional_get or getattr(self, "action", None) == "list"

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        conditional = request.method in ("GET", "HEAD") and self.is_conditional()
        if not conditional or response.status_code != 200 or response.streaming:
            return response
        response.render()
        etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"  # per user, and always revalidated
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            not_modified = HttpResponseNotModified()
            for header in ("ETag", "Cache-Control", "Vary"):
                if header in response:
                    not_modified[header] = response[header]
            return not_modified
        return response
