"""JSON rendering with orjson: the same JSON as DRF's renderer, several times faster. And the
formats of the paths that answer a file (a CSV export, the calendar feed), whose errors are JSON
all the same."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()
OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


class ORJSONRenderer(JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        # Serializers hand over plain values; what orjson does not know (Decimal, lazy text)
        # goes through DRF's own encoder.
        # Error details of list items are keyed by their index, as json.dumps writes them.
        # Date-times (lists leave them to the renderer) are written as DRF writes them: ISO
        # 8601 in their own zone, "Z" for UTC.
        return orjson.dumps(data, default=_fallback.default, option=OPTIONS)


class FileRenderer(BaseRenderer):
    """A format whose body the view writes itself (it returns the file as an HttpResponse):
    content negotiation picks it, nothing is ever rendered with it. Whatever else such a view
    answers (an error, OPTIONS) is JSON: see ``JsonErrorsMixin``."""

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        raise TypeError(f"{type(self).__name__} bodies are written by the view, not rendered")


class JsonErrorsMixin:
    """For views whose answer is not JSON (a CSV or iCalendar file, the YAML schema): their
    errors go out as JSON, as everywhere in the API, and so does whatever else a file path
    answers (OPTIONS), instead of a printout of the data labelled with the file's media type."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        view: Any = self
        # Without a negotiated renderer (negotiation itself failed), DRF takes the first.
        renderer = getattr(request, "accepted_renderer", None) or view.get_renderers()[0]
        data = isinstance(response, Response) and (
            response.exception or isinstance(renderer, FileRenderer)
        )
        if data and not isinstance(renderer, JSONRenderer | BrowsableAPIRenderer):
            json = ORJSONRenderer()
            request.accepted_renderer, request.accepted_media_type = json, json.media_type
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
