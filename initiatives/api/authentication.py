"""API token authentication: ``Authorization: Bearer <token>``.

It comes before session authentication, so a request without credentials gets 401 with a
``WWW-Authenticate: Bearer`` challenge rather than 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from config.client_address import client_address
from initiatives.models import AccessToken
from initiatives.tokens import token_authenticate


def _failures_key(request: Request) -> str:
    return f"token-failures:{client_address(request)}"


def refuse_guessing(request: Request) -> None:
    """Too many wrong tokens from one address: refuse it for the cool-off time (429)."""
    if cache.get(_failures_key(request), 0) >= settings.AUTH_FAILURE_LIMIT:
        raise exceptions.Throttled(wait=settings.AUTH_FAILURE_COOLOFF_MINUTES * 60)


def record_failure(request: Request) -> None:
    key = _failures_key(request)
    cache.add(key, 0, timeout=settings.AUTH_FAILURE_COOLOFF_MINUTES * 60)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=settings.AUTH_FAILURE_COOLOFF_MINUTES * 60)


def authenticate_token(request: Request, token: str, scope: str) -> AccessToken:
    """The usable token of ``scope``, or AuthenticationFailed (and one more failure counted)."""
    refuse_guessing(request)
    row = token_authenticate(token, scope=scope)
    if row is None:
        record_failure(request)
        raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
    return row


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, AccessToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token after 'Bearer ', nothing more.")
        try:
            token = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        row = authenticate_token(request, token, AccessToken.Scope.API)
        return row.user, row

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "initiatives.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from the admin or `manage.py create_api_token`.",
        }
