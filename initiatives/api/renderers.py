"""JSON rendering with orjson: the same JSON as DRF's renderer, several times faster."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
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
