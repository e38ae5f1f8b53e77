"""The endpoints that serve the OpenAPI schema and its Swagger UI."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from initiatives.api.renderers import JsonErrorsMixin


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The schema: YAML by default, JSON with ``?format=json`` or ``Accept: application/json``
    (or ``application/vnd.oai.openapi+json``); an error is JSON either way."""


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerView):
    """Swagger UI (an HTML page); an error, such as a ``?format=`` other than html, is JSON."""
