"""The endpoint that serves the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView

from initiatives.api.renderers import JsonErrorsMixin


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The schema: YAML by default, JSON with ``?format=json`` or ``Accept: application/json``
    (or ``application/vnd.oai.openapi+json``); an error is JSON either way."""
