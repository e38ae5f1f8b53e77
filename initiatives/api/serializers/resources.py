"""The API's resources. Every write is checked against the model's own rules (``full_clean``:
constraints, uniqueness, choices) before it reaches the database, so a broken rule is a 400
naming the field, never an IntegrityError; the writes themselves go through
``initiatives.services``."""

from __future__ import annotations

import copy
import datetime
import functools
import re
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from initiatives import services
from initiatives.api.serializers.summaries import (
    AgencySummarySerializer,
    IndicatorSummarySerializer,
    InitiativeSummarySerializer,
    SourceSummarySerializer,
    SummaryRelatedField,
    UserSummarySerializer,
    acting_user,
    drf_errors,
)
from initiatives.dates import local_today
from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeSource,
    Membership,
    Milestone,
    ProgressUpdate,
    Source,
    Tag,
)


# --- Model rules before saving ----------------------------------------------------------------
class ModelRulesMixin:
    """Validate the would-be row with the model's ``full_clean`` before anything is saved."""

    Meta: Any
    instance: Any

    def prepare_candidate(self, candidate: Any, attrs: dict[str, Any]) -> dict[str, Any]:
        """Apply the rules that derive fields from the change; return those fields."""
        return {}

    # full_clean checks uniqueness with the model's own constraints (conditions and nullable
    # fields included), so DRF's copies of them, which would make every field of a unique
    # constraint required, stay out.
    def get_validators(self) -> list[Any]:
        return []

    def get_uniqueness_extra_kwargs(self, *args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return {}, {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        concrete = {field.name for field in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        try:
            derived = self.prepare_candidate(candidate, attrs)
            candidate.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(drf_errors(error)) from None
        return attrs | derived


class TagField(serializers.SlugRelatedField):
    """A tag by its slug; anything that cannot be a slug is refused before the database sees it."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:64])
        return super().to_internal_value(data)


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,64}")


# --- Resources --------------------------------------------------------------------------------
class AgencySerializer(ModelRulesMixin, serializers.ModelSerializer[Agency]):
    """A government unit: a ministry, commission, office or local government."""

    parent = SummaryRelatedField(  # type: ignore[assignment]  # a declared field, not Field.parent
        AgencySummarySerializer, queryset=Agency.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "name_zh",
            "short_name",
            "slug",
            "kind",
            "parent",
            "website",
            "contact_email",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class MembershipSerializer(ModelRulesMixin, serializers.ModelSerializer[Membership]):
    """A user's role in an agency: viewers read, editors change the agency's initiatives,
    managers also receive escalated reminders."""

    user = SummaryRelatedField(UserSummarySerializer, queryset=get_user_model().objects.all())
    agency = SummaryRelatedField(AgencySummarySerializer, queryset=Agency.objects.all())

    class Meta:
        model = Membership
        fields = ["id", "user", "agency", "role", "created_at"]
        read_only_fields = ["created_at"]


class WholeItemsMixin:
    """A nested item is validated whole, even inside a partial update.

    DRF skips a missing required field whenever the root serializer is partial, nested items
    included; a PATCH then handed the service an item without its agency (a 500)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        fields = cast(Any, self).fields
        missing = {
            name: [field.error_messages["required"]]
            for name, field in fields.items()
            if field.required and not field.read_only and field.source not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return cast(dict[str, Any], super().validate(attrs))  # type: ignore[misc]


class SupportingAgencySerializer(WholeItemsMixin, serializers.ModelSerializer[InitiativeAgency]):
    """An agency that supports an initiative beside its lead, and how."""

    agency = SummaryRelatedField(AgencySummarySerializer, queryset=Agency.objects.all())

    class Meta:
        model = InitiativeAgency
        fields = ["agency", "role"]


class CitationSerializer(serializers.ModelSerializer[InitiativeSource]):
    """A source that announced or reported the initiative, with the passage quoted from it."""

    source = SummaryRelatedField(  # type: ignore[assignment]  # a declared field, not Field.source
        SourceSummarySerializer, queryset=Source.objects.all()
    )

    class Meta:
        model = InitiativeSource
        fields = ["source", "excerpt", "speaker"]


class InitiativeSerializer(ModelRulesMixin, serializers.ModelSerializer[Initiative]):
    """An announced action, programme or goal: its lead agency (`owner_agency`) and supporting
    agencies, status and delivery confidence, dates, and counts of its milestones. `version`
    moves with every change; the detail's `ETag` carries it for `If-Match`."""

    owner_agency = SummaryRelatedField(AgencySummarySerializer, queryset=Agency.objects.all())
    parent = SummaryRelatedField(  # type: ignore[assignment]  # a declared field, not Field.parent
        InitiativeSummarySerializer,
        choice_rule="parent",
        queryset=Initiative.objects.all(),
        allow_null=True,
        required=False,
    )
    superseded_by = SummaryRelatedField(
        InitiativeSummarySerializer,
        choice_rule="superseded_by",
        queryset=Initiative.objects.all(),
        allow_null=True,
        required=False,
    )
    supporting_agencies = SupportingAgencySerializer(
        source="agency_roles", many=True, required=False
    )
    tags = TagField(slug_field="slug", queryset=Tag.objects.all(), many=True, required=False)
    citations = CitationSerializer(many=True, read_only=True)
    open_milestones = serializers.IntegerField(read_only=True)
    overdue_milestones = serializers.IntegerField(read_only=True)
    next_due_date = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "title",
            "slug",
            "summary",
            "owner_agency",
            "supporting_agencies",
            "parent",
            "theme",
            "tags",
            "status",
            "superseded_by",
            "confidence",
            "progress",
            "announced_on",
            "start_date",
            "target_date",
            "completed_on",
            "notes",
            "citations",
            "open_milestones",
            "overdue_milestones",
            "next_due_date",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]

    def validate_supporting_agencies(self, roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        agencies = [role["agency"].pk for role in roles]
        if len(agencies) != len(set(agencies)):
            raise serializers.ValidationError("Name each supporting agency once.")
        return roles

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        owner = attrs.get("owner_agency") or getattr(self.instance, "owner_agency", None)
        roles = attrs.get("agency_roles")
        if roles is not None and any(role["agency"] == owner for role in roles):
            raise serializers.ValidationError(
                {"supporting_agencies": ["The lead agency cannot also be a supporting agency."]}
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Initiative:
        data = dict(validated_data)
        return services.initiative_create(
            actor=acting_user(self),
            supporting_agencies=data.pop("agency_roles", None),
            tags=data.pop("tags", None),
            **data,
        )

    def update(self, instance: Initiative, validated_data: dict[str, Any]) -> Initiative:
        data = dict(validated_data)
        return services.initiative_update(
            initiative=instance,
            actor=acting_user(self),
            supporting_agencies=data.pop("agency_roles", None),
            tags=data.pop("tags", None),
            changes=data,
        )


class MilestoneSerializer(ModelRulesMixin, serializers.ModelSerializer[Milestone]):
    """A dated commitment of an initiative. `due_status`, `is_overdue` and `days_slipped` are
    worked out from the dates and the status, as of today."""

    initiative = SummaryRelatedField(InitiativeSummarySerializer, queryset=Initiative.objects.all())
    owner = SummaryRelatedField(
        UserSummarySerializer,
        choice_rule="owner",
        queryset=get_user_model().objects.filter(is_active=True),
        allow_null=True,
        required=False,
    )
    due_status = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()
    days_slipped = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "initiative",
            "title",
            "description",
            "due_date",
            "baseline_due_date",
            "due_date_reason",
            "days_slipped",
            "status",
            "completed_on",
            "owner",
            "due_status",
            "is_overdue",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["baseline_due_date", "version", "created_at", "updated_at"]
        extra_kwargs = {
            "due_date_reason": {
                "help_text": "Why the due date moves; required with a new due_date once the "
                "milestone has a baseline."
            }
        }

    @functools.cached_property
    def today(self) -> datetime.date:
        """Today in TIME_ZONE, once for a whole list."""
        return local_today()

    @extend_schema_field(serializers.ChoiceField(choices=Milestone.DueStatus.choices))
    def get_due_status(self, milestone: Any) -> str:
        return Milestone.due_status_of(milestone.status, milestone.due_date, self.today)

    def get_is_overdue(self, milestone: Any) -> bool:
        return Milestone.is_overdue_of(milestone.status, milestone.due_date, self.today)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_slipped(self, milestone: Any) -> int | None:
        """Days the due date has moved from the baseline (negative: brought forward)."""
        return Milestone.slip_between(milestone.due_date, milestone.baseline_due_date)

    def validate_initiative(self, initiative: Initiative) -> Initiative:
        if self.instance is not None and initiative.pk != self.instance.initiative_id:
            raise serializers.ValidationError("A milestone cannot move to another initiative.")
        return initiative

    def prepare_candidate(self, candidate: Milestone, attrs: dict[str, Any]) -> dict[str, Any]:
        # The due-date rule, checked here so that a broken one is a 400 before anything is
        # written; milestone_create and milestone_update apply it again when saving.
        previous = self.instance.due_date if self.instance is not None else None
        reason = attrs.get("due_date_reason", "")
        # The stored reason, not the one asked for: the rule decides what is kept.
        candidate.due_date_reason = self.instance.due_date_reason if self.instance else ""
        candidate.record_due_date_move(previous=previous, reason=reason)
        return {}

    def create(self, validated_data: dict[str, Any]) -> Milestone:
        data = dict(validated_data)
        data.pop("due_date_reason", None)  # a first due date is the baseline: nothing moved
        return services.milestone_create(actor=acting_user(self), **data)

    def update(self, instance: Milestone, validated_data: dict[str, Any]) -> Milestone:
        data = dict(validated_data)
        return services.milestone_update(
            milestone=instance,
            actor=acting_user(self),
            due_date_reason=data.pop("due_date_reason", ""),
            changes=data,
        )


class ProgressUpdateSerializer(ModelRulesMixin, serializers.ModelSerializer[ProgressUpdate]):
    """An entry of an initiative's progress timeline, with the status, confidence or progress
    it set, if any. Posted updates are never changed."""

    initiative = SummaryRelatedField(InitiativeSummarySerializer, queryset=Initiative.objects.all())
    author = UserSummarySerializer(read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "initiative",
            "author",
            "posted_at",
            "body",
            "status",
            "confidence",
            "progress",
        ]
        read_only_fields = ["posted_at"]


class IndicatorSerializer(ModelRulesMixin, serializers.ModelSerializer[Indicator]):
    """A measured quantity that shows an initiative's delivery, with its baseline and target."""

    initiative = SummaryRelatedField(InitiativeSummarySerializer, queryset=Initiative.objects.all())

    class Meta:
        model = Indicator
        fields = [
            "id",
            "initiative",
            "name",
            "description",
            "unit",
            "direction",
            "kind",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class IndicatorReadingSerializer(ModelRulesMixin, serializers.ModelSerializer[IndicatorReading]):
    """A dated value of an indicator, as its source states it (with a qualifier such as
    "more than")."""

    indicator = SummaryRelatedField(IndicatorSummarySerializer, queryset=Indicator.objects.all())
    source = SummaryRelatedField(  # type: ignore[assignment]  # a declared field, not Field.source
        SourceSummarySerializer, queryset=Source.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = IndicatorReading
        fields = [
            "id",
            "indicator",
            "observed_on",
            "qualifier",
            "value",
            "source",
            "excerpt",
            "speaker",
        ]
