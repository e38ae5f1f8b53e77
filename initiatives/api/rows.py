"""List pages read as plain rows (``values()``) and written out field by field.

A list page is the API's busiest read. Built as model instances and walked by DRF's generic
``to_representation`` it costs several times its query; from plain rows it costs little more.
Each function here writes the same JSON as the resource's serializer does for a detail, which
tests/initiatives/api/test_list_rows.py checks through the API.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any, cast

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from initiatives.api.serializers.summaries import (
    AgencySummarySerializer,
    InitiativeSummarySerializer,
    SourceSummarySerializer,
    UserSummarySerializer,
    plain,
)
from initiatives.dates import local_today
from initiatives.models import Initiative, InitiativeAgency, InitiativeSource, Milestone

# The fields of each related summary, as the serializers declare them.
AGENCY_SUMMARY = tuple(AgencySummarySerializer.Meta.fields)
INITIATIVE_SUMMARY = tuple(InitiativeSummarySerializer.Meta.fields)
SOURCE_SUMMARY = tuple(SourceSummarySerializer.Meta.fields)
USER_SUMMARY = tuple(UserSummarySerializer.Meta.fields)

# DRF's own conversion of a datetime to the API's text (in TIME_ZONE, as the detail shows it).
DATETIME = serializers.DateTimeField()


def iso(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def timestamp(value: datetime.datetime | None) -> str | None:
    return None if value is None else DATETIME.to_representation(value)


def summary(row: dict[str, Any], prefix: str, fields: tuple[str, ...]) -> dict[str, Any] | None:
    """The summary of a related row read through ``prefix__field`` columns; None without one."""
    if row[f"{prefix}__id"] is None:
        return None
    return {name: plain(row[f"{prefix}__{name}"]) for name in fields}


# --- Milestones ---------------------------------------------------------------------------------
MILESTONE_COLUMNS = (
    *(field.attname for field in Milestone._meta.concrete_fields),
    "initiative__id",
    "initiative__title",
    "owner__id",
    "owner__username",
)


def milestone_rows(queryset: QuerySet[Milestone]) -> QuerySet[Any]:
    """The milestones of ``queryset`` as the rows ``milestone_json`` writes out."""
    return queryset.values(*MILESTONE_COLUMNS)


def milestone_json(row: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    status, due_date = row["status"], row["due_date"]
    return {
        "id": row["id"],
        "initiative": summary(row, "initiative", INITIATIVE_SUMMARY),
        "title": row["title"],
        "description": row["description"],
        "due_date": iso(due_date),
        "baseline_due_date": iso(row["baseline_due_date"]),
        "due_date_reason": row["due_date_reason"],
        "days_slipped": Milestone.slip_between(due_date, row["baseline_due_date"]),
        "status": status,
        "completed_on": iso(row["completed_on"]),
        "owner": summary(row, "owner", USER_SUMMARY),
        "due_status": Milestone.due_status_of(status, due_date, today),
        "is_overdue": Milestone.is_overdue_of(status, due_date, today),
        "version": row["version"],
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


# --- Initiatives --------------------------------------------------------------------------------

INITIATIVE_COLUMNS = (
    *(field.attname for field in Initiative._meta.concrete_fields),
    *(f"owner_agency__{name}" for name in AGENCY_SUMMARY),
    "parent__id",
    "parent__title",
    "superseded_by__id",
    "superseded_by__title",
    "open_milestones",
    "overdue_milestones",
    "next_due_date",
)


def initiative_rows(queryset: QuerySet[Initiative]) -> QuerySet[Any]:
    """The initiatives of ``queryset`` (with milestone counts) as ``initiatives_json`` reads
    them; its prefetches are dropped, as the related lists are read per page."""
    return queryset.prefetch_related(None).values(*INITIATIVE_COLUMNS)


def related_lists(ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """The supporting agencies, tags and citations of the initiatives ``ids``, one query each,
    in the order the detail shows them."""
    related: dict[int, dict[str, list[Any]]] = defaultdict(
        lambda: {"supporting_agencies": [], "tags": [], "citations": []}
    )
    roles = InitiativeAgency.objects.filter(initiative_id__any=ids).order_by("id")
    for row in roles.values("initiative_id", "role", *(f"agency__{n}" for n in AGENCY_SUMMARY)):
        related[row["initiative_id"]]["supporting_agencies"].append(
            {"agency": summary(row, "agency", AGENCY_SUMMARY), "role": row["role"]}
        )
    tags = Initiative.tags.through.objects.filter(initiative_id__any=ids)
    for initiative_id, slug in tags.order_by("tag__name", "tag_id").values_list(
        "initiative_id", "tag__slug"
    ):
        related[initiative_id]["tags"].append(slug)
    citations = InitiativeSource.objects.filter(initiative_id__any=ids).order_by("id")
    for row in citations.values(
        "initiative_id", "excerpt", "speaker", *(f"source__{n}" for n in SOURCE_SUMMARY)
    ):
        related[row["initiative_id"]]["citations"].append(
            {
                "source": summary(row, "source", SOURCE_SUMMARY),
                "excerpt": row["excerpt"],
                "speaker": row["speaker"],
            }
        )
    return related


def initiatives_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    related = related_lists([row["id"] for row in rows])
    return [initiative_json(row, related[row["id"]]) for row in rows]


def initiative_json(row: dict[str, Any], related: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "slug": row["slug"],
        "summary": row["summary"],
        "owner_agency": summary(row, "owner_agency", AGENCY_SUMMARY),
        "supporting_agencies": related["supporting_agencies"],
        "parent": summary(row, "parent", INITIATIVE_SUMMARY),
        "theme": row["theme"],
        "tags": related["tags"],
        "status": row["status"],
        "superseded_by": summary(row, "superseded_by", INITIATIVE_SUMMARY),
        "confidence": row["confidence"],
        "progress": row["progress"],
        "announced_on": iso(row["announced_on"]),
        "start_date": iso(row["start_date"]),
        "target_date": iso(row["target_date"]),
        "completed_on": iso(row["completed_on"]),
        "notes": row["notes"],
        "citations": related["citations"],
        "open_milestones": row["open_milestones"],
        "overdue_milestones": row["overdue_milestones"],
        "next_due_date": iso(row["next_due_date"]),
        "version": row["version"],
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


def milestones_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    today = local_today()  # once for the page
    return [milestone_json(row, today) for row in rows]


class RowsListMixin:
    """A viewset whose list reads its page as plain rows (``list_rows``) and writes it out with
    ``list_json``; every other action goes through its serializer."""

    list_rows: Any
    list_json: Any

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = cast(Any, self)
        queryset = view.filter_queryset(view.get_queryset())
        page = view.paginate_queryset(type(self).list_rows(queryset))
        return cast(Response, view.get_paginated_response(type(self).list_json(page)))
