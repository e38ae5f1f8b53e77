"""Reference data (agencies, sources, tags), memberships and users."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from initiatives.access import agencies_editable_by, agencies_of
from initiatives.admin.base import (
    LAYOUT_CSS,
    ReadableByMembers,
    SuperusersOnly,
    User,
    is_autocomplete,
)
from initiatives.models import Agency, Membership, Source, Tag


@admin.register(Agency)
class AgencyAdmin(ReadableByMembers, admin.ModelAdmin):
    list_display = ["short_name", "name", "name_zh", "kind", "parent", "contact_email"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["short_name", "name", "name_zh"]
    prepopulated_fields = {"slug": ["short_name"]}
    autocomplete_fields = ["parent"]
    ordering = ["short_name"]

    class Media:
        css = {"all": [LAYOUT_CSS]}

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        results, duplicates = super().get_search_results(request, queryset, search_term)
        lead_field = request.GET.get("field_name") == "owner_agency"
        if is_autocomplete(request) and lead_field and not request.user.is_superuser:
            # Staff may make only their own agencies lead; any agency may support.
            results = results.filter(pk__in=agencies_editable_by(request.user))
        return results, duplicates


@admin.register(Membership)
class MembershipAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ["user", "agency", "role"]
    list_filter = ["role", "agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__short_name", "agency__name"]
    autocomplete_fields = ["user", "agency"]


@admin.register(Source)
class SourceAdmin(ReadableByMembers, admin.ModelAdmin):
    list_display = ["title", "publisher", "kind", "published_on"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "description"]
    date_hierarchy = "published_on"


@admin.register(Tag)
class TagAdmin(ReadableByMembers, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Users: superusers manage them; staff see their agencies' people (to pick owners)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__agency_id__in=agencies_of(request.user)).distinct()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(agencies_editable_by(request.user))
