"""Request body parsing: every body that cannot be read is a 400, however it is malformed."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser. Python's json module refuses nesting deeper than the interpreter's
    recursion limit with RecursionError, which DRF does not catch: without this, a 2 KB body
    of nested arrays was a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
