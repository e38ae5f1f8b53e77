"""OpenAPI generation that documents what the API really answers: its errors and ETags."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "Bad input; the body names each parameter or field and what is wrong with it.",
    "401": "Not authenticated: no credentials, or an invalid, expired or revoked token.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such resource.",
    "409": "Other records still refer to this one.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}
# A 400 lists messages per parameter or field ("non_field_errors" for the row as a whole).
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class TrackerAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["401", "429"]
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        if writes or self._is_list_view():
            codes.append("400")
        if writes:
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if self.method == "DELETE":
            codes.append("409")
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            body = VALIDATION_ERROR_SCHEMA if code == "400" else ErrorSerializer
            response = self._get_response_for_code(body, code, direction=direction)
            response["description"] = ERROR_DESCRIPTIONS[code]
            responses[code] = response
        return responses

    def _get_response_headers_for_code(self, status_code: str, direction: Any = "response") -> Any:
        headers = super()._get_response_headers_for_code(status_code, direction)
        versioned = getattr(self.view, "versioned", False)
        if versioned and status_code in ("200", "201") and "{" in self.path:
            headers = dict(headers or {})
            headers["ETag"] = {
                "schema": {"type": "string"},
                "description": "The version just read or written; send it back as If-Match.",
            }
        return headers
