"""OpenAPI generation that documents what the API really answers: its errors and ETags."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_lib_doc_excludes, get_view_model, is_list_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from initiatives.api.filtersets import MultiValueFilter

ERROR_DESCRIPTIONS = {
    "400": "Bad input; the body names each parameter or field and what is wrong with it.",
    "401": "Not authenticated: no credentials, or an invalid, expired or revoked token.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such resource (or, for a list, no such page).",
    "406": (
        "Not acceptable: ?format= or the Accept header asks for a format this path does not "
        "serve; the body names the parameter and the formats the path serves."
    ),
    "409": "Other records still refer to this one.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}
# Path ids are the rows' integer primary keys; the URL takes 1 to 18 digits (lookup_value_regex),
# from which drf-spectacular would document a string with a pattern.
PATH_ID = OpenApiParameter(
    "id",
    {"type": "integer", "minimum": 1, "maximum": 10**18 - 1},
    OpenApiParameter.PATH,
    description="The row's id, as in its `id` field.",
)
JSON = "application/json"
NOT_MODIFIED = "Not modified: the If-None-Match ETag is still current; no body."
# A 400 lists messages per parameter or field ("non_field_errors" for the row as a whole); a
# nested field's messages nest the same way (by index for list items); a body that cannot be
# parsed at all gets a single "detail".
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}


class FilterParameters(DjangoFilterExtension):
    """drf-spectacular's parameters of the django-filter FilterSets, with each multi-value filter
    documented as it is read: an array whose values repeat the parameter (``style: form``,
    ``explode: true``, what generated clients send); the comma form is in its description."""

    priority = 1  # over drf-spectacular's own extension for the same backend

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        # The bounds the filter's form field checks, so that a client knows them beforehand.
        bounds = {
            keyword: filter_field.extra[argument]
            for keyword, argument in (("minimum", "min_value"), ("maximum", "max_value"))
            if filter_field.extra.get(argument) is not None
        }
        for parameter in parameters:
            if parameter["schema"].get("type") in ("integer", "number"):
                parameter["schema"].update(bounds)
        if not isinstance(filter_field, MultiValueFilter):
            return parameters
        for parameter in parameters:
            if parameter["schema"].get("type") != "array":
                parameter["schema"] = {"type": "array", "items": parameter["schema"]}
            parameter["style"], parameter["explode"] = "form", True
            # A type declared on the filter (extend_schema_field) replaces its description.
            parameter.setdefault("description", filter_field.extra["help_text"])
        return parameters


def blankable(schema: dict[str, Any], field: Any) -> dict[str, Any]:
    """The schema of a formatted string field (a URL, an email address) that may be blank: a
    oneOf of the formatted value, at least one character long, and the empty string. (drf-
    spectacular's own oneOf has both branches match "", which a oneOf forbids.)"""
    if not field.allow_blank:
        return schema  # its length is added from the field's validators
    filled = {**schema, "minLength": 1}
    if field.max_length is not None:
        filled["maxLength"] = field.max_length
    return {"oneOf": [filled, {"type": "string", "maxLength": 0}]}


class URLFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "rest_framework.fields.URLField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return blankable({"type": "string", "format": "uri"}, self.target)


class EmailFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "rest_framework.fields.EmailField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return blankable({"type": "string", "format": "email"}, self.target)


def lib_doc_excludes() -> list[Any]:
    """Classes whose docstrings are for the maintainers (how rows are rendered, how writes are
    locked): the schema takes a serializer's or view's description from its own docstring, not
    theirs (drf-spectacular's GET_LIB_DOC_EXCLUDES, beside its own list)."""
    # Imported here: this module is loaded with the settings, before the API's modules.
    from initiatives.api import serializers as api_serializers
    from initiatives.api import versioned
    from initiatives.api.conditional import ContentETagMixin
    from initiatives.api.export import CsvExportMixin
    from initiatives.api.renderers import JsonErrorsMixin

    return [
        *get_lib_doc_excludes(),
        api_serializers.ModelRulesMixin,
        ContentETagMixin,
        JsonErrorsMixin,
        CsvExportMixin,
        versioned.CreateChecksLeadAgencyMixin,
        versioned.VersionedModelViewSet,
    ]


class ErrorSerializer(serializers.Serializer[Any]):
    """An error, said in a sentence."""

    detail = serializers.CharField()


class TrackerAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the answers every operation can give besides its own:
    errors, 304 Not Modified and ETags."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:  # excluded from the schema
            return None
        responses = operation["responses"]
        if self.is_conditional_get():
            etag = {"schema": {"type": "string"}, "description": "The ETag, still current."}
            responses["304"] = {"description": NOT_MODIFIED, "headers": {"ETag": etag}}
        for code in self.error_codes():
            # A 406 of ?format= names the parameter as a 400 does.
            body = VALIDATION_ERROR_SCHEMA if code in ("400", "406") else self.error_schema()
            responses.setdefault(code, self.json_response(body, ERROR_DESCRIPTIONS[code]))
        stale = responses.get("412")
        if stale is not None and "content" not in stale:  # declared by a view with no body
            stale.update(self.json_response(self.error_schema(), stale["description"]))
        return operation

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if "{id}" in self.path and self.has_integer_ids():
            parameters.append(PATH_ID)
        if self.is_conditional_get():
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag of the answer you have; 304 if it is still current.",
                )
            )
        # A versioned row's version: on its detail, and on every write to it (actions too),
        # but not on reads of something else about it (its history).
        if (
            getattr(self.view, "versioned", False)
            and "{" in self.path
            and (self.method != "GET" or getattr(self.view, "action", None) == "retrieve")
        ):
            parameters.append(
                etag_header(
                    [200, 201],
                    "The version just read or written, and a hash of what it shows: send it "
                    "back as If-Match to write, or as If-None-Match to ask whether it changed.",
                )
            )
        elif self.is_conditional_get():
            parameters.append(
                etag_header([200], "A hash of this answer; send it back as If-None-Match.")
            )
        return parameters

    def error_codes(self) -> list[str]:
        """The error statuses this operation can answer besides those its view declares."""
        codes = ["401", "406", "429"]
        writes = self.method not in ("GET", "HEAD", "OPTIONS")
        lists = self.answers_a_list()
        if writes or lists or self.get_filter_backends():  # a bad filter value
            codes.append("400")
        if writes:
            codes.append("403")
        if "{" in self.path or (lists and self.method == "GET"):
            codes.append("404")
        if self.method == "DELETE":
            codes.append("409")
        return codes

    def answers_a_list(self) -> bool:
        """A list action, or an action whose declared answer is many rows (its history)."""
        if getattr(self.view, "action", None) == "list":
            return True
        serializer = self.get_response_serializers()
        if isinstance(serializer, dict):  # declared per status: the success answer
            serializer = next(iter(serializer.values()), None)
        if isinstance(serializer, OpenApiResponse):
            serializer = serializer.response
        return is_list_serializer(serializer)

    def error_schema(self) -> dict[str, Any]:
        return self.resolve_serializer(ErrorSerializer, "response").ref

    def json_response(self, schema: dict[str, Any], description: str) -> dict[str, Any]:
        # Errors are JSON whatever the path's own format (see renderers.JsonErrorsMixin).
        return {"content": {JSON: {"schema": schema}}, "description": description}

    def has_integer_ids(self) -> bool:
        model = get_view_model(self.view, emit_warnings=False)
        primary_key = model._meta.pk if model is not None else None
        return isinstance(primary_key, models.AutoField | models.IntegerField)

    def is_conditional_get(self) -> bool:
        # The view says which of its answers carry a content ETag (ContentETagMixin).
        is_conditional = getattr(self.view, "is_conditional", None)
        return self.method == "GET" and callable(is_conditional) and bool(is_conditional())


def etag_header(codes: list[int], description: str) -> OpenApiParameter:
    """The ETag response header on answers with these status codes."""
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=description,
        response=codes,
    )
