"""The feed token in the calendar feed's URL, and its place in the API schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.request import Request

from initiatives.api.authentication import authenticate_token
from initiatives.models import AccessToken

FEED_TOKEN_PARAMETER = "token"  # noqa: S105  the parameter's name, not a secret


class FeedTokenAuthentication(authentication.BaseAuthentication):
    """A calendar-scope token in the feed URL (``?token=...``): opens the calendar feed only."""

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        token = request.query_params.get(FEED_TOKEN_PARAMETER)
        if not token:
            return None
        row = authenticate_token(request, token, AccessToken.Scope.CALENDAR)
        return row.user, row


class FeedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.FeedTokenAuthentication"
    name = "feedToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "query", "name": FEED_TOKEN_PARAMETER}
