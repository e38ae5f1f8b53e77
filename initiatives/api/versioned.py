"""Versioned resources: details with a strong ETag of what they show, writes refused with 412
when their If-Match is stale, and every write checked against the row as it would be saved."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from initiatives.api.conditional import ContentETagMixin, content_digest
from initiatives.api.numbers import is_whole_number
from initiatives.api.renderers import ORJSONRenderer

# Ids are positive integers; anything else in the path is a 404, not a failed lookup.
ID_PATTERN = "[0-9]{1,18}"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you read; a stale one gets 412 and changes nothing.",
)

STALE = OpenApiResponse(description="If-Match does not match the current ETag; nothing changed.")


def etag_of(instance: Any, representation: Any) -> str:
    """A versioned detail's strong ETag: its version, and a digest of its JSON, which moves
    when anything shown changes without a write to the row (its milestone counts, say)."""
    digest = content_digest(ORJSONRenderer().render(representation))[:16]
    return f'"v{instance.version}-{digest}"'


class CreateChecksLeadAgencyMixin:
    """Creating a row checks write permission on the row as it would be saved."""

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        model: type[Model] = serializer.Meta.model  # type: ignore[attr-defined]
        concrete = {field.name for field in model._meta.concrete_fields}
        unsaved = model(**{k: v for k, v in serializer.validated_data.items() if k in concrete})
        self.check_object_permissions(self.request, unsaved)  # type: ignore[attr-defined]
        serializer.save()

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        # The old parent was checked when the row was read; a row that moves to another lead
        # agency, initiative or indicator needs the right to write at the new one too.
        model: type[Model] = serializer.Meta.model  # type: ignore[attr-defined]
        moves = {
            name: value
            for name, value in serializer.validated_data.items()
            if name in ("owner_agency", "initiative", "indicator")
        }
        if moves:
            self.check_object_permissions(self.request, model(**moves))  # type: ignore[attr-defined]
        serializer.save()


class VersionedModelViewSet(ContentETagMixin, CreateChecksLeadAgencyMixin, viewsets.ModelViewSet):
    """Lost updates are refused: details carry a strong ETag of their current representation,
    and a write with a stale If-Match gets 412. The row is locked while the ETag is compared
    and the change saved, so of two writers holding the same ETag exactly one wins."""

    versioned = True  # read by the schema generator: details carry an ETag
    lookup_value_regex = ID_PATTERN

    def _locked_object(self) -> Any:
        model = self.get_queryset().model
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        # Lock the bare row: the list queryset's joins and aggregates cannot take FOR UPDATE.
        if not is_whole_number(str(lookup)) or not (
            model.objects.select_for_update().filter(pk=lookup).exists()
        ):
            raise NotFound
        instance = self.get_object()
        if_match = self.request.headers.get("If-Match")
        if if_match is not None:
            tags = parse_etags(if_match)
            if "*" not in tags and self.detail_response(instance).headers["ETag"] not in tags:
                raise PreconditionFailed
        return instance

    def detail_response(self, instance: Any) -> Response:
        """The detail of ``instance`` as read now, with its ETag."""
        data = self.get_serializer(instance).data
        return Response(data, headers={"ETag": etag_of(instance, data)})

    def fresh_detail(self) -> Response:
        """The detail as a new read would show it, after a write: counts and all."""
        return self.detail_response(self.get_object())

    def is_conditional(self) -> bool:
        # A detail answers If-None-Match too, with its own ETag (see ContentETagMixin).
        return super().is_conditional() or self.action == "retrieve"

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return self.detail_response(self.get_object())

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self._locked_object()
            serializer = self.get_serializer(
                instance, data=request.data, partial=kwargs.pop("partial", False)
            )
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        return self.fresh_detail()

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self._locked_object()
            instance.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def versioned_schema(serializer: type[BaseSerializer[Any]]) -> dict[str, Any]:
    """Schema for the ETag/If-Match contract of a versioned resource's detail operations."""
    stale = STALE
    return {
        "retrieve": extend_schema(responses={200: serializer}),
        "update": extend_schema(parameters=[IF_MATCH], responses={200: serializer, 412: stale}),
        "partial_update": extend_schema(
            parameters=[IF_MATCH], responses={200: serializer, 412: stale}
        ),
        "destroy": extend_schema(parameters=[IF_MATCH], responses={204: None, 412: stale}),
    }
