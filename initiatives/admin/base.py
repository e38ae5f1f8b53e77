"""What the app's admins share: scoping by membership, and the badges of the lists."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet, URLField
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from initiatives.access import (
    agencies_editable_by,
    agencies_of,
    can_edit_agency_work,
    choosable,
    lead_agency_id,
)

User = get_user_model()

# The project's admin stylesheet (a ModelAdmin's Media), so that its pages fit a laptop's width.
LAYOUT_CSS = "initiatives/admin.css"

CONFIDENCE_COLOURS = {
    "green": "#2e7d32",
    "amber_green": "#7cb342",
    "amber": "#f9a825",
    "amber_red": "#ef6c00",
    "red": "#c62828",
    "not_assessed": "#9e9e9e",
}
DUE_STATUS_COLOURS = {
    "overdue": "#c62828",
    "due_soon": "#f9a825",
    "upcoming": "#2e7d32",
    "no_date": "#9e9e9e",
    "done": "#1565c0",
    "cancelled": "#757575",
}


def badge(text: str, colour: str) -> str:
    return format_html(
        '<span style="padding:2px 8px;border-radius:9px;color:#fff;background:{};'
        'white-space:nowrap">{}</span>',
        colour,
        text,
    )


def error_text(error: ValidationError) -> str:
    """A ValidationError as one line that names the fields."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(e)}" for field, e in error.message_dict.items())
    return " ".join(error.messages)


def is_autocomplete(request: HttpRequest) -> bool:
    return request.path.endswith("/autocomplete/")


# --- Scoping ------------------------------------------------------------------------------------
class AgencyScoped:
    """Admin permissions and querysets from memberships, for rows that belong to an initiative.

    ``agency_field`` is the lookup from the model to its initiative's lead agency.
    """

    agency_field: str

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.agency_field}__in": agencies_of(request.user)})

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(agencies_of(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(agencies_of(request.user))
        return lead_agency_id(obj) in agencies_of(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None:  # an inline: the parent decides
            return can_edit_agency_work(request.user, lead_agency_id(obj))
        return request.user.is_superuser or bool(agencies_editable_by(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return request.user.is_superuser or bool(agencies_editable_by(request.user))
        return can_edit_agency_work(request.user, lead_agency_id(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The choices the API accepts too (initiatives.access.choosable).
        allowed = choosable(request.user, db_field.name)
        if allowed is not None:
            kwargs["queryset"] = allowed
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        results, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        if is_autocomplete(request) and not request.user.is_superuser:
            # An autocomplete offers what this user may link to: their own agencies' rows.
            editable = agencies_editable_by(request.user)
            results = results.filter(**{f"{self.agency_field}__in": editable})
        return results, may_have_duplicates


class ScopedHistoryAdmin(AgencyScoped, SimpleHistoryAdmin):
    """simple-history's admin, with a revert treated as the change it is.

    Its revert form saves on POST after checking only that the user may *view* the row, and
    saves the old version's row as it was, version number included.
    """

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # Go on from the stored version (a revert starts from an old one): versions only
            # move forward, or an ETag handed out before would match again.
            obj.version = type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)


class ReadableByMembers:
    """Reference data (agencies, sources, tags) every member reads; superusers change."""

    # Addresses typed without a scheme are https (Django 6's default, asked for explicitly).
    formfield_overrides: Any = {URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(agencies_of(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(agencies_of(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class SuperusersOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class ScopedInline(AgencyScoped):
    agency_field = "initiative__owner_agency"
