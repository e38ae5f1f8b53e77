"""Related rows as the API shows them: written as ids, read back as short summaries,
and the helpers every serializer shares."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers
from rest_framework.settings import api_settings

from initiatives.access import may_choose
from initiatives.models import (
    Agency,
    Indicator,
    Initiative,
    Source,
)


def drf_errors(error: DjangoValidationError) -> dict[str, Any]:
    """Django's validation errors in DRF's shape: per field, the rest as non_field_errors."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in error.message_dict.items()
    }


def acting_user(serializer: serializers.BaseSerializer[Any]) -> Any | None:
    """The signed-in user a serializer writes for, recorded in the history."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def plain(value: Any) -> Any:
    """A model value as DRF would render it in JSON (dates as ISO strings)."""
    return value.isoformat() if isinstance(value, datetime.date) else value


# --- Summaries of related rows ----------------------------------------------------------------
class AgencySummarySerializer(serializers.ModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["id", "short_name", "name"]


class InitiativeSummarySerializer(serializers.ModelSerializer[Initiative]):
    class Meta:
        model = Initiative
        fields = ["id", "title"]


class UserSummarySerializer(serializers.ModelSerializer[Any]):
    class Meta:
        model = get_user_model()
        fields = ["id", "username"]
        # Django's own help text is an instruction for sign-up forms.
        extra_kwargs = {"username": {"help_text": "The user's login name."}}


class IndicatorSummarySerializer(serializers.ModelSerializer[Indicator]):
    class Meta:
        model = Indicator
        fields = ["id", "name", "unit"]


class SourceSummarySerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = ["id", "kind", "publisher", "title", "url", "published_on"]


class SummaryRelatedField(serializers.PrimaryKeyRelatedField):
    """Written as an id, read as the related row's summary.

    With ``choice_rule``, the row written must be one the user may choose for that relation
    (``initiatives.access.choosable``, which the admin's choices come from too)."""

    default_error_messages = {
        "not_choosable": "You may not choose {model} {pk_value} here: it is outside your agencies."
    }

    def __init__(
        self,
        summary: type[serializers.ModelSerializer[Any]],
        choice_rule: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.summary = summary
        self.choice_rule = choice_rule
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_internal_value(self, data: Any) -> Any:
        # A number too large for an id would overflow the database's integer, not miss a row.
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data < 2**63:
            self.fail("does_not_exist", pk_value=data)
        row = super().to_internal_value(data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if self.choice_rule and user is not None and not may_choose(user, self.choice_rule, row):
            self.fail("not_choosable", model=row._meta.verbose_name, pk_value=row.pk)
        return row

    def to_representation(self, value: Any) -> Any:
        # The summaries are flat rows of plain fields: read them straight off the object
        # (a serializer per related row would cost more than the whole rest of a list).
        return {name: plain(getattr(value, name)) for name in self.summary.Meta.fields}


class SummaryRelatedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = SummaryRelatedField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> Any:
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        component = auto_schema.resolve_serializer(self.target.summary, direction)
        return component.ref
