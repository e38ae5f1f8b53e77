"""The staff admin for the domain.

Changes made here go through the same model rules and services as the API: ModelForms validate
the database constraints before saving, the due-date rule lives on ``Milestone``, and progress
updates are posted through ``initiatives.services``. Initiative and milestone changes are kept in
the audit history (the "History" button on each).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from initiatives import services
from initiatives.models import (
    AccessToken,
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
from initiatives.tokens import token_issue, token_revoke
from tracker.services import reminder_send_now


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "name_zh", "kind", "parent", "contact_email"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["short_name", "name", "name_zh"]
    prepopulated_fields = {"slug": ["short_name"]}
    autocomplete_fields = ["parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role"]
    list_filter = ["role", "agency"]
    list_select_related = ["user", "agency"]
    search_fields = ["user__username", "user__email", "agency__short_name", "agency__name"]
    autocomplete_fields = ["user", "agency"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "kind", "published_on"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "description"]
    date_hierarchy = "published_on"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class MilestoneForm(forms.ModelForm):
    """A milestone form that applies the due-date rule: baseline once, a reason for each move."""

    move_reason = forms.CharField(
        label="Reason for moving the due date",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you change the due date of a milestone that already has one.",
    )

    class Meta:
        model = Milestone
        fields = [
            "initiative",
            "title",
            "description",
            "due_date",
            "owner",
            "status",
            "completed_on",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "due_date" in cleaned:
            milestone = self.instance
            previous = milestone.due_date if milestone.pk else None
            milestone.due_date = cleaned["due_date"]
            try:
                milestone.record_due_date_move(
                    previous=previous, reason=cleaned.get("move_reason", "")
                )
            except ValidationError as error:
                self.add_error("move_reason", error.message_dict["due_date_reason"])
        return cleaned


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    fields = ["title", "due_date", "move_reason", "owner", "status", "completed_on"]
    extra = 0
    autocomplete_fields = ["owner"]
    show_change_link = True


class InitiativeAgencyInline(admin.TabularInline):
    model = InitiativeAgency
    extra = 0
    autocomplete_fields = ["agency"]


class InitiativeSourceInline(admin.StackedInline):
    model = InitiativeSource
    extra = 0
    autocomplete_fields = ["source"]


class IndicatorInline(admin.TabularInline):
    model = Indicator
    fields = ["name", "unit", "direction", "kind", "target_value", "target_date"]
    extra = 0
    show_change_link = True


class ProgressUpdateInline(admin.TabularInline):
    """The timeline, read-only: updates are posted, never edited."""

    model = ProgressUpdate
    fields = ["posted_at", "author", "body", "status", "confidence", "progress"]
    readonly_fields = ["posted_at", "author", "body", "status", "confidence", "progress"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "owner_agency", "status", "confidence", "progress", "target_date"]
    list_filter = ["status", "confidence", "owner_agency", "theme"]
    list_select_related = ["owner_agency"]
    search_fields = ["title", "summary", "owner_agency__short_name", "owner_agency__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner_agency", "parent", "superseded_by"]
    filter_horizontal = ["tags"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [
        InitiativeAgencyInline,
        MilestoneInline,
        IndicatorInline,
        InitiativeSourceInline,
        ProgressUpdateInline,
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "owner_agency", "parent", "theme", "tags"]}),
        (
            "Delivery",
            {"fields": ["status", "superseded_by", "confidence", "progress", "completed_on"]},
        ),
        ("Dates", {"fields": ["announced_on", "start_date", "target_date"]}),
        ("Notes", {"fields": ["notes", "version", "created_at", "updated_at"]}),
    ]


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    form = MilestoneForm
    list_display = ["title", "initiative", "due_date", "baseline_due_date", "status", "owner"]
    list_filter = ["status", "initiative__owner_agency"]
    list_select_related = ["initiative", "owner"]
    search_fields = ["title", "initiative__title"]
    date_hierarchy = "due_date"
    autocomplete_fields = ["initiative", "owner"]
    readonly_fields = ["baseline_due_date", "due_date_reason", "version"]
    actions = ["send_reminder_now"]
    fields = [
        "initiative",
        "title",
        "description",
        "due_date",
        "move_reason",
        "baseline_due_date",
        "due_date_reason",
        "owner",
        "status",
        "completed_on",
        "version",
    ]

    @admin.action(description="Send a reminder now (once a day at most)")
    def send_reminder_now(self, request: HttpRequest, queryset: Any) -> None:
        queued = sum(
            reminder_send_now(milestone=milestone)
            for milestone in queryset.select_related("initiative__owner_agency", "owner")
        )
        messages.success(request, f"{queued} reminders queued.")


class ProgressUpdateForm(forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        fields = ["initiative", "body", "status", "confidence", "progress"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    """Posting goes through the same service as the API; posted updates are never edited."""

    form = ProgressUpdateForm
    list_display = ["initiative", "posted_at", "author", "status", "confidence", "progress"]
    list_filter = ["status", "confidence"]
    list_select_related = ["initiative", "author"]
    search_fields = ["body", "initiative__title"]
    autocomplete_fields = ["initiative"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        posted = services.progress_update_post(
            initiative=obj.initiative,
            author=request.user,
            body=obj.body,
            status=obj.status,
            confidence=obj.confidence,
            progress=obj.progress,
        )
        obj.pk = posted.pk


class IndicatorReadingInline(admin.TabularInline):
    model = IndicatorReading
    fields = ["observed_on", "qualifier", "value", "source", "excerpt", "speaker"]
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "initiative", "unit", "direction", "kind", "target_value"]
    list_filter = ["direction", "kind"]
    list_select_related = ["initiative"]
    search_fields = ["name", "initiative__title"]
    autocomplete_fields = ["initiative"]
    inlines = [IndicatorReadingInline]


class AccessTokenAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        min_value=1, required=False, help_text="Leave empty for a token that never expires."
    )

    class Meta:
        model = AccessToken
        fields = ["user", "name", "scope"]


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """API and calendar feed tokens. A new token is shown once, right after it is issued."""

    list_display = ["name", "user", "scope", "prefix", "created_at", "expires_at", "last_used_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    autocomplete_fields = ["user"]
    readonly_fields = [
        "user",
        "name",
        "scope",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tokens are issued and revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked tokens stay on record

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = AccessTokenAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["user", "name", "scope", "expires_in_days"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        days = form.cleaned_data.get("expires_in_days")
        row, token = token_issue(
            user=obj.user,
            name=obj.name,
            scope=obj.scope,
            expires_in=datetime.timedelta(days=days) if days else None,
        )
        obj.pk = row.pk
        messages.warning(
            request, f"The token for {row.user}: {token} — copy it now; it is not shown again."
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token)
        messages.success(request, "Revoked.")
