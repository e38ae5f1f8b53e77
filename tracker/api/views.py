"""The calendar feed of milestone deadlines, and the feed tokens that open it."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, generics, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from initiatives.api.authentication import ApiTokenAuthentication
from initiatives.api.filtersets import MilestoneFilterSet
from initiatives.api.permissions import ReadOpen
from initiatives.api.renderers import JsonErrorsMixin
from initiatives.models import AccessToken, Milestone
from initiatives.tokens import token_issue, token_revoke
from tracker.api.authentication import FEED_TOKEN_PARAMETER, FeedTokenAuthentication
from tracker.api.renderers import ICalendarRenderer
from tracker.api.serializers import FeedTokenSerializer, IssuedFeedTokenSerializer
from tracker.calendar import milestone_calendar


class CalendarFeedView(JsonErrorsMixin, generics.GenericAPIView[Milestone]):
    """Milestone deadlines as all-day iCalendar events; takes the milestone list's filters.

    Calendar apps cannot sign in: subscribe to the URL with a feed token (`?token=...`, from
    `/api/v1/feed-tokens/`), which opens this feed and nothing else.
    """

    # The API token scheme first: its challenge makes a refused request a 401, not a 403.
    authentication_classes = [
        ApiTokenAuthentication,
        FeedTokenAuthentication,
        authentication.SessionAuthentication,
    ]
    permission_classes = [ReadOpen]
    # An error (a bad filter, a bad token) is JSON all the same (JsonErrorsMixin).
    renderer_classes = [ICalendarRenderer]
    queryset = Milestone.objects.select_related("initiative__owner_agency").filter(
        due_date__isnull=False
    )
    filterset_class = MilestoneFilterSet
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter(
                FEED_TOKEN_PARAMETER, OpenApiTypes.STR, description="A calendar feed token."
            )
        ],
        responses={(200, "text/calendar"): OpenApiTypes.STR},
        filters=True,
    )
    def get(self, request: Request) -> HttpResponse:
        milestones = self.filter_queryset(self.get_queryset())  # a bad filter is a 400
        body = milestone_calendar(milestones.iterator(chunk_size=2000))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
        return response


class FeedTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your calendar feed tokens: create one per calendar app, revoke it when done."""

    serializer_class = FeedTokenSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[0-9]{1,18}"
    pagination_class = None

    queryset = AccessToken.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return AccessToken.objects.usable().filter(
            user=cast(Any, self.request.user), scope=AccessToken.Scope.CALENDAR
        )

    @extend_schema(responses={201: IssuedFeedTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, token = token_issue(
            user=request.user,
            name=serializer.validated_data["name"],
            scope=AccessToken.Scope.CALENDAR,
            expires_at=serializer.validated_data.get("expires_at"),
        )
        row.token = token  # type: ignore[attr-defined]
        row.feed_url = f"{settings.SITE_URL}/api/v1/calendar.ics?{FEED_TOKEN_PARAMETER}={token}"  # type: ignore[attr-defined]
        return Response(IssuedFeedTokenSerializer(row).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: AccessToken) -> None:
        token_revoke(token=instance)
