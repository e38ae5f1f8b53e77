"""Errors that reach the API as clear 4xx answers instead of 500s."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from initiatives.api.serializers import drf_errors

logger = logging.getLogger(__name__)


def exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(error, DjangoValidationError):
        # A service refused the change; its message names the field.
        return Response(drf_errors(error), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(error, DataError):
        # Input the database cannot hold (a NUL byte, a number out of range) that no validator
        # caught: the request is at fault, not the server. Logged, so the gap gets a validator.
        logger.warning("Database refused request data: %s", error)
        return Response(
            {"detail": "The request holds a value the database cannot store."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(error, ProtectedError | RestrictedError):
        return Response(
            {"detail": "Other records still refer to this one; change or remove them first."},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(error, context)
