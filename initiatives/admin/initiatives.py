"""Initiatives and what hangs off them: the inlines, the progress timeline, indicators."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import localize

from initiatives import services
from initiatives.admin.base import (
    CONFIDENCE_COLOURS,
    DUE_STATUS_COLOURS,
    LAYOUT_CSS,
    AgencyScoped,
    ScopedHistoryAdmin,
    ScopedInline,
    badge,
)
from initiatives.admin.milestones import MilestoneForm, ReasonFieldForReaders
from initiatives.models import (
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeQuerySet,
    InitiativeSource,
    Milestone,
    ProgressUpdate,
)


class MilestoneInline(ReasonFieldForReaders, ScopedInline, admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    fields = ["title", "due_date", "move_reason", "owner", "status", "completed_on"]
    extra = 0
    autocomplete_fields = ["owner"]
    show_change_link = True
    classes = ["fixed-columns", "milestone-rows"]  # column widths in LAYOUT_CSS


class InitiativeAgencyInline(ScopedInline, admin.TabularInline):
    model = InitiativeAgency
    extra = 0
    autocomplete_fields = ["agency"]


class InitiativeSourceInline(ScopedInline, admin.StackedInline):
    model = InitiativeSource
    extra = 0
    autocomplete_fields = ["source"]


class IndicatorInline(ScopedInline, admin.TabularInline):
    model = Indicator
    fields = ["name", "unit", "direction", "kind", "target_value", "target_date"]
    extra = 0
    show_change_link = True
    classes = ["fixed-columns", "indicator-rows"]  # column widths in LAYOUT_CSS


class ProgressUpdateInlineForm(forms.ModelForm):
    """Checks, before anything is saved, that what the update sets keeps the initiative valid
    (superseded needs a successor, for one): the service would refuse it only after the
    initiative's own form had been saved.

    The check runs on the initiative as the request leaves it: in the inline, the change form's
    new values (a later start date, say), not the stored row; a new initiative has no stored row.
    """

    class Meta:
        model = ProgressUpdate
        fields = ["body", "status", "confidence", "progress"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}  # a row of the timeline

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        initiative = cleaned.get("initiative")
        if self.instance.pk is None and initiative is not None and self.has_changed():
            candidate = copy.copy(initiative)
            candidate.apply_update(
                status=cleaned.get("status") or "",
                confidence=cleaned.get("confidence") or "",
                progress=cleaned.get("progress"),
            )
            try:
                candidate.full_clean()
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
        return cleaned


class ProgressUpdateInline(ScopedInline, admin.TabularInline):
    """The timeline: posted updates read-only, and one empty row to post a new one."""

    model = ProgressUpdate
    form = ProgressUpdateInlineForm
    fields = ["posted", "author", "body", "status", "confidence", "progress"]
    readonly_fields = ["posted", "author"]
    extra = 1
    can_delete = False
    classes = ["fixed-columns", "progress-updates"]  # column widths in LAYOUT_CSS
    verbose_name = "progress update"
    verbose_name_plural = "progress updates (newest first; post a new one in the empty row)"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # posted updates are never edited

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("author")

    @admin.display(description="posted at")
    def posted(self, update: ProgressUpdate) -> str:
        # The empty row is not posted yet: its default time would read as if it were.
        if update.pk is None:
            return self.get_empty_value_display()
        return localize(timezone.localtime(update.posted_at))


class DueFilter(admin.SimpleListFilter):
    title = "deadlines"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Has overdue milestones"), ("30d", "Milestones due within 30 days")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "overdue":
            return queryset.filter(pk__in=Milestone.objects.overdue().values("initiative_id"))
        if self.value() == "30d":
            return queryset.filter(pk__in=Milestone.objects.due_within(30).values("initiative_id"))
        return queryset


STAMPS = ("version", "created_at", "updated_at")


@admin.register(Initiative)
class InitiativeAdmin(ScopedHistoryAdmin):
    agency_field = "owner_agency"
    list_display = [
        "title",
        "owner_agency",
        "status",
        "confidence_badge",
        "progress_percent",
        "next_due",
        "overdue",
    ]
    list_filter = [
        "status",
        "confidence",
        ("owner_agency", admin.RelatedOnlyFieldListFilter),
        "theme",
        DueFilter,
    ]
    list_select_related = ["owner_agency"]
    search_fields = ["title", "summary", "owner_agency__short_name", "owner_agency__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner_agency", "parent", "superseded_by"]
    filter_horizontal = ["tags"]
    readonly_fields = ["version", "created_at", "updated_at"]
    ordering = ["id"]
    show_full_result_count = False
    inlines = [
        ProgressUpdateInline,
        MilestoneInline,
        InitiativeAgencyInline,
        IndicatorInline,
        InitiativeSourceInline,
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

    class Media:
        css = {"all": [LAYOUT_CSS]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: InitiativeQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.with_milestone_counts()

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        # A new initiative has no version or time stamps yet (the database sets them), and the
        # admin would show their unsaved defaults' code names.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in STAMPS]})
            for name, options in fieldsets
        ]

    @admin.display(description="confidence", ordering="confidence")
    def confidence_badge(self, initiative: Initiative) -> str:
        colour = CONFIDENCE_COLOURS[initiative.confidence]
        return badge(initiative.get_confidence_display().split(":")[0], colour)

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, initiative: Initiative) -> str:
        return f"{initiative.progress}%"

    @admin.display(description="next due", ordering="next_due_date")
    def next_due(self, initiative: Any) -> Any:
        return initiative.next_due_date

    @admin.display(description="overdue", ordering="overdue_milestones")
    def overdue(self, initiative: Any) -> Any:
        count = initiative.overdue_milestones
        return badge(str(count), DUE_STATUS_COLOURS["overdue"]) if count else "—"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ProgressUpdate:
            super().save_formset(request, form, formset, change)
            return
        # New timeline entries are posted through the service, which also applies the status,
        # confidence and progress they set, as the API does.
        posted = [
            services.progress_update_post(
                initiative=Initiative.objects.get(pk=form.instance.pk),
                author=request.user,
                body=entry.cleaned_data["body"],
                status=entry.cleaned_data.get("status") or "",
                confidence=entry.cleaned_data.get("confidence") or "",
                progress=entry.cleaned_data.get("progress"),
            )
            for entry in formset.extra_forms
            if entry.has_changed() and entry.is_valid()
        ]
        # What the admin's change message reads from a saved formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = posted, [], []


class ProgressUpdateForm(ProgressUpdateInlineForm):
    class Meta:
        model = ProgressUpdate
        fields = ["initiative", "body", "status", "confidence", "progress"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(AgencyScoped, admin.ModelAdmin):
    """Posting goes through the same service as the API; posted updates are never edited."""

    agency_field = "initiative__owner_agency"
    form = ProgressUpdateForm
    list_display = ["initiative", "posted_at", "author", "status", "confidence", "progress"]
    list_filter = ["status", "confidence"]
    list_select_related = ["initiative", "author"]
    search_fields = ["body", "initiative__title"]
    autocomplete_fields = ["initiative"]
    date_hierarchy = "posted_at"
    show_full_result_count = False

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


class IndicatorReadingInline(AgencyScoped, admin.TabularInline):
    agency_field = "indicator__initiative__owner_agency"
    model = IndicatorReading
    fields = ["observed_on", "qualifier", "value", "source", "excerpt", "speaker"]
    extra = 0
    autocomplete_fields = ["source"]


@admin.register(Indicator)
class IndicatorAdmin(AgencyScoped, admin.ModelAdmin):
    agency_field = "initiative__owner_agency"
    list_display = ["name", "initiative", "unit", "direction", "kind", "target_value"]
    list_filter = ["direction", "kind"]
    list_select_related = ["initiative"]
    search_fields = ["name", "initiative__title"]
    autocomplete_fields = ["initiative"]
    inlines = [IndicatorReadingInline]


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(AgencyScoped, admin.ModelAdmin):
    agency_field = "indicator__initiative__owner_agency"
    list_display = ["indicator", "observed_on", "qualifier", "value", "source"]
    list_select_related = ["indicator", "source"]
    search_fields = ["indicator__name", "excerpt"]
    autocomplete_fields = ["indicator", "source"]
    date_hierarchy = "observed_on"
    show_full_result_count = False
