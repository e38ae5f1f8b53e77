"""REST API v1 viewsets: each declares its queryset, serializer, filters and permissions; the
workflow actions call ``initiatives.services``."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from initiatives import selectors, services
from initiatives.api import rows
from initiatives.api import serializers as s
from initiatives.api.conditional import ContentETagMixin
from initiatives.api.export import Column, CsvExportMixin
from initiatives.api.filtersets import (
    AgencyFilterSet,
    IndicatorFilterSet,
    IndicatorReadingFilterSet,
    InitiativeFilterSet,
    MembershipFilterSet,
    MilestoneFilterSet,
    ProgressUpdateFilterSet,
)
from initiatives.api.pagination import KeysetPagination, PagePagination
from initiatives.api.permissions import (
    LeadAgencyEditsOrReadOnly,
    ReadOpen,
    SuperuserEdits,
    SuperuserEditsOrReadOnly,
)
from initiatives.api.rows import RowsListMixin
from initiatives.api.versioned import (
    ID_PATTERN,
    IF_MATCH,
    STALE,
    CreateChecksLeadAgencyMixin,
    VersionedModelViewSet,
    versioned_schema,
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
    Tag,
)


class AgencyViewSet(ContentETagMixin, viewsets.ModelViewSet):
    """Government units. Everyone reads; superusers change."""

    lookup_value_regex = ID_PATTERN

    queryset = Agency.objects.select_related("parent").order_by("short_name")
    serializer_class = s.AgencySerializer
    filterset_class = AgencyFilterSet
    pagination_class = PagePagination
    permission_classes = [SuperuserEditsOrReadOnly]


class MembershipViewSet(ContentETagMixin, viewsets.ModelViewSet):
    """Who holds which role in which agency. Superusers see and change all memberships;
    everyone else sees their own."""

    lookup_value_regex = ID_PATTERN

    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilterSet
    pagination_class = PagePagination
    permission_classes = [SuperuserEdits]
    queryset = Membership.objects.select_related("user", "agency").order_by("id")

    def get_queryset(self) -> QuerySet[Membership]:
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or user.is_superuser:
            return self.queryset
        return self.queryset.filter(user=cast(Any, user))


INITIATIVE_FIELDS = [field.name for field in Initiative._meta.concrete_fields]


def initiatives_for_api() -> QuerySet[Initiative]:
    """The initiatives as the API shows them, with their milestone counts as of today."""
    return (
        Initiative.objects.select_related("owner_agency", "parent", "superseded_by")
        .only(
            *INITIATIVE_FIELDS,
            "owner_agency__short_name",
            "owner_agency__name",
            "parent__title",
            "superseded_by__title",
        )
        .prefetch_related(
            Prefetch(
                "agency_roles",
                InitiativeAgency.objects.select_related("agency").order_by("id"),
            ),
            Prefetch("tags", Tag.objects.order_by("name", "id")),
            Prefetch("citations", InitiativeSource.objects.select_related("source").order_by("id")),
        )
        .with_milestone_counts(local_today())
        .order_by("id")
    )


@extend_schema_view(**versioned_schema(s.InitiativeSerializer))
class InitiativeViewSet(RowsListMixin, CsvExportMixin, VersionedModelViewSet):
    """Announced actions, programmes and goals, with their lead and supporting agencies."""

    list_rows = rows.initiative_rows
    list_json = rows.initiatives_json
    csv_name = "initiatives"
    csv_columns: list[Column] = [
        ("id", lambda i: i.pk),
        ("title", lambda i: i.title),
        ("slug", lambda i: i.slug),
        ("lead_agency", lambda i: i.owner_agency.short_name),
        (
            "supporting_agencies",
            lambda i: "; ".join(f"{r.agency.short_name} ({r.role})" for r in i.agency_roles.all()),
        ),
        ("parent_id", lambda i: i.parent_id),
        ("theme", lambda i: i.theme),
        ("status", lambda i: i.status),
        ("confidence", lambda i: i.confidence),
        ("progress", lambda i: i.progress),
        ("announced_on", lambda i: i.announced_on),
        ("start_date", lambda i: i.start_date),
        ("target_date", lambda i: i.target_date),
        ("completed_on", lambda i: i.completed_on),
        ("open_milestones", lambda i: i.open_milestones),
        ("overdue_milestones", lambda i: i.overdue_milestones),
        ("next_due_date", lambda i: i.next_due_date),
        ("version", lambda i: i.version),
        ("updated_at", lambda i: i.updated_at.isoformat()),
    ]
    serializer_class = s.InitiativeSerializer
    filterset_class = InitiativeFilterSet
    pagination_class = PagePagination
    permission_classes = [LeadAgencyEditsOrReadOnly]

    def get_queryset(self) -> QuerySet[Initiative]:
        return initiatives_for_api()

    @extend_schema(
        request=s.PostUpdateSerializer,
        parameters=[IF_MATCH],
        responses={201: s.ProgressUpdateSerializer, 412: STALE},
    )
    @action(detail=True, methods=["post"], url_path="updates")
    def post_update(self, request: Request, pk: str | None = None) -> Response:
        """Post a progress update; the status, confidence or progress it sets apply at once."""
        payload = s.PostUpdateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            initiative = self._locked_object()
            update = services.progress_update_post(
                initiative=initiative, author=request.user, **payload.validated_data
            )
        data = s.ProgressUpdateSerializer(update, context=self.get_serializer_context()).data
        etag = self.fresh_detail().headers["ETag"]  # the initiative's, as the update left it
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag})

    @extend_schema(responses={200: s.HistoryEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """The audit history, newest first: who changed what, when, and why."""
        entries = selectors.initiative_history(self.get_object())
        return Response(s.HistoryEntrySerializer(entries, many=True).data)


@extend_schema_view(**versioned_schema(s.MilestoneSerializer))
class MilestoneViewSet(RowsListMixin, CsvExportMixin, VersionedModelViewSet):
    """Dated commitments of initiatives, ordered by due date (no date last)."""

    list_rows = rows.milestone_rows
    list_json = rows.milestones_json
    csv_name = "milestones"
    csv_columns: list[Column] = [
        ("id", lambda m: m.pk),
        ("initiative_id", lambda m: m.initiative_id),
        ("initiative", lambda m: m.initiative.title),
        ("lead_agency", lambda m: m.initiative.owner_agency.short_name),
        ("title", lambda m: m.title),
        ("due_date", lambda m: m.due_date),
        ("baseline_due_date", lambda m: m.baseline_due_date),
        ("days_slipped", lambda m: m.days_slipped),
        ("due_date_reason", lambda m: m.due_date_reason),
        ("due_status", lambda m: m.due_status),
        ("status", lambda m: m.status),
        ("completed_on", lambda m: m.completed_on),
        ("owner", lambda m: m.owner.username if m.owner else None),
        ("version", lambda m: m.version),
    ]

    queryset = Milestone.objects.select_related(  # by due date, then id
        "initiative__owner_agency", "owner"
    )

    serializer_class = s.MilestoneSerializer
    filterset_class = MilestoneFilterSet
    pagination_class = KeysetPagination
    permission_classes = [LeadAgencyEditsOrReadOnly]

    @extend_schema(
        request=s.CompleteMilestoneSerializer,
        parameters=[IF_MATCH],
        responses={200: s.MilestoneSerializer, 412: STALE},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Mark the milestone done, on the given day or today (in the tracker's time zone)."""
        payload = s.CompleteMilestoneSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            milestone = self._locked_object()
            services.milestone_complete(
                milestone=milestone,
                actor=request.user,
                completed_on=payload.validated_data.get("completed_on"),
            )
        return self.fresh_detail()


class ProgressUpdateViewSet(
    ContentETagMixin,
    CreateChecksLeadAgencyMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The append-only progress timeline, newest first. Posted updates are never changed."""

    lookup_value_regex = ID_PATTERN

    queryset = ProgressUpdate.objects.select_related("initiative", "author").order_by(
        "-posted_at", "-id"
    )
    serializer_class = s.ProgressUpdateSerializer
    filterset_class = ProgressUpdateFilterSet
    pagination_class = KeysetPagination
    permission_classes = [LeadAgencyEditsOrReadOnly]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        self.check_object_permissions(self.request, ProgressUpdate(initiative=data["initiative"]))
        with transaction.atomic():
            serializer.instance = services.progress_update_post(
                initiative=Initiative.objects.select_for_update().get(pk=data["initiative"].pk),
                author=self.request.user,
                body=data["body"],
                status=data.get("status", ""),
                confidence=data.get("confidence", ""),
                progress=data.get("progress"),
            )


class IndicatorViewSet(ContentETagMixin, CreateChecksLeadAgencyMixin, viewsets.ModelViewSet):
    """Measured quantities that show an initiative's delivery."""

    lookup_value_regex = ID_PATTERN

    queryset = Indicator.objects.select_related("initiative").order_by("id")
    serializer_class = s.IndicatorSerializer
    filterset_class = IndicatorFilterSet
    pagination_class = PagePagination
    permission_classes = [LeadAgencyEditsOrReadOnly]


class IndicatorReadingViewSet(ContentETagMixin, CreateChecksLeadAgencyMixin, viewsets.ModelViewSet):
    """Dated values of indicators, as their sources state them."""

    lookup_value_regex = ID_PATTERN

    queryset = IndicatorReading.objects.select_related("indicator__initiative", "source").order_by(
        "-observed_on", "-id"
    )
    serializer_class = s.IndicatorReadingSerializer
    filterset_class = IndicatorReadingFilterSet
    pagination_class = KeysetPagination
    permission_classes = [LeadAgencyEditsOrReadOnly]


class DashboardView(ContentETagMixin, APIView):
    """Counts by status, confidence and lead agency; overdue and soon-due milestones; each
    agency's on-time rate."""

    conditional_get = True

    permission_classes = [ReadOpen]

    @extend_schema(responses={200: s.DashboardSerializer})
    def get(self, request: Request) -> Response:
        summary = selectors.dashboard_summary(today=local_today())
        return Response(s.DashboardSerializer(summary, context={"request": request}).data)
