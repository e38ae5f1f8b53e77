"""The staff admin: the delivery office's whole interface.

Each staff user sees the work of the agencies they belong to: editors and managers change it,
viewers read it, superusers see and change everything (``initiatives.access`` decides; a new
staff user needs nothing but a membership). Changes go through the same rules and services as
the API: ModelForms validate the database constraints, the due-date rule lives on ``Milestone``,
progress updates and completions are posted through ``initiatives.services``, and initiative and
milestone changes land in the audit history (the "History" button on each).
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, URLField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from initiatives import services
from initiatives.access import (
    agencies_editable_by,
    agencies_of,
    can_edit_agency_work,
    lead_agency_id,
)
from initiatives.models import (
    AccessToken,
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeQuerySet,
    InitiativeSource,
    Membership,
    Milestone,
    ProgressUpdate,
    Source,
    Tag,
)
from initiatives.tokens import token_issue, token_revoke
from tracker.services import reminder_send_now

User = get_user_model()

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
        if not request.user.is_superuser:
            editable = agencies_editable_by(request.user)
            limits = {
                "initiative": Initiative.objects.led_by(editable),
                "indicator": Indicator.objects.filter(initiative__owner_agency_id__in=editable),
                "owner_agency": Agency.objects.filter(pk__in=editable),
                "parent": Initiative.objects.led_by(agencies_of(request.user)),
                "superseded_by": Initiative.objects.led_by(agencies_of(request.user)),
                "owner": User.objects.filter(
                    is_active=True, memberships__agency_id__in=editable
                ).distinct(),
            }
            if db_field.name in limits:
                kwargs["queryset"] = limits[db_field.name]
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


# --- Reference data -----------------------------------------------------------------------------
@admin.register(Agency)
class AgencyAdmin(ReadableByMembers, admin.ModelAdmin):
    list_display = ["short_name", "name", "name_zh", "kind", "parent", "contact_email"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["short_name", "name", "name_zh"]
    prepopulated_fields = {"slug": ["short_name"]}
    autocomplete_fields = ["parent"]
    ordering = ["short_name"]

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


# --- Initiatives --------------------------------------------------------------------------------
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
            if cleaned["due_date"] != previous and cleaned.get("move_reason"):
                milestone._change_reason = cleaned["move_reason"]  # kept with the history row
        return cleaned


class ScopedInline(AgencyScoped):
    agency_field = "initiative__owner_agency"


class MilestoneInline(ScopedInline, admin.TabularInline):
    model = Milestone
    form = MilestoneForm
    fields = ["title", "due_date", "move_reason", "owner", "status", "completed_on"]
    extra = 0
    autocomplete_fields = ["owner"]
    show_change_link = True


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
    fields = ["posted_at", "author", "body", "status", "confidence", "progress"]
    readonly_fields = ["posted_at", "author"]
    extra = 1
    can_delete = False
    verbose_name = "progress update"
    verbose_name_plural = "progress updates (newest first; post a new one in the empty row)"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # posted updates are never edited

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("author")


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: InitiativeQuerySet = super().get_queryset(request)  # type: ignore[assignment]
        return queryset.with_milestone_counts()

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


class DueStatusFilter(admin.SimpleListFilter):
    title = "due status"
    parameter_name = "due_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Milestone.DueStatus.choices

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in Milestone.DueStatus.values:
            return queryset.due_status_in([self.value()])
        return queryset


class MoveDueDateForm(forms.Form):
    due_date = forms.DateField(label="New due date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Milestone)
class MilestoneAdmin(ScopedHistoryAdmin):
    agency_field = "initiative__owner_agency"
    form = MilestoneForm
    list_display = [
        "title",
        "initiative",
        "lead_agency",
        "due_date",
        "due_status_badge",
        "days_slipped",
        "status",
        "owner",
    ]
    list_filter = [
        DueStatusFilter,
        ("initiative__owner_agency", admin.RelatedOnlyFieldListFilter),
        ("owner", admin.RelatedOnlyFieldListFilter),
        "status",
    ]
    list_select_related = ["initiative__owner_agency", "owner"]
    search_fields = ["title", "initiative__title"]
    date_hierarchy = "due_date"
    autocomplete_fields = ["initiative", "owner"]
    readonly_fields = ["baseline_due_date", "due_date_reason", "version"]
    show_full_result_count = False
    actions = ["mark_done", "send_reminder_now", "move_due_date"]
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

    @admin.display(description="lead agency", ordering="initiative__owner_agency__short_name")
    def lead_agency(self, milestone: Milestone) -> str:
        return milestone.initiative.owner_agency.short_name

    @admin.display(description="due status")
    def due_status_badge(self, milestone: Milestone) -> str:
        status = milestone.due_status
        return badge(Milestone.DueStatus(status).label, DUE_STATUS_COLOURS[status])

    def _editable(self, request: HttpRequest, queryset: Any) -> Any:
        if request.user.is_superuser:
            return queryset
        return queryset.filter(initiative__owner_agency_id__in=agencies_editable_by(request.user))

    @admin.action(description="Mark the selected milestones done today", permissions=["change"])
    def mark_done(self, request: HttpRequest, queryset: Any) -> None:
        milestones = self._editable(request, queryset).filter(status__in=Milestone.OPEN_STATUSES)
        done = 0
        try:
            with transaction.atomic():  # all the selected milestones, or none
                for milestone in milestones:
                    services.milestone_complete(milestone=milestone, actor=request.user)
                    done += 1
        except ValidationError as error:
            failed = f"milestone {milestone.pk}: {error_text(error)}"
            messages.error(request, f"No milestone marked done ({failed}).")
            return
        messages.success(request, f"{done} milestones marked done.")

    @admin.action(description="Send a reminder now (once a day at most)", permissions=["change"])
    def send_reminder_now(self, request: HttpRequest, queryset: Any) -> None:
        queued = 0
        for milestone in self._editable(request, queryset).select_related(
            "initiative__owner_agency", "owner"
        ):
            sent = reminder_send_now(milestone=milestone)
            if sent.queued:  # the ledger does not say who asked: the admin's log does
                self.log_change(request, milestone, f"Sent a reminder now to {sent.queued} people.")
            if sent.unreached:
                messages.warning(request, f"{milestone}: it reaches nobody. {sent.unreached}")
            queued += sent.queued
        messages.success(request, f"{queued} reminders queued.")

    @admin.action(
        description="Move the due date of the selected milestones…", permissions=["change"]
    )
    def move_due_date(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        milestones = self._editable(request, queryset)
        form = MoveDueDateForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            moved = 0
            try:
                with transaction.atomic():  # all the selected milestones, or none
                    for milestone in milestones:
                        services.milestone_move_due_date(
                            milestone=milestone,
                            due_date=form.cleaned_data["due_date"],
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                        )
                        moved += 1
            except ValidationError as error:
                failed = f"milestone {milestone.pk}: {error_text(error)}"
                messages.error(request, f"No due date moved ({failed}).")
                return None
            messages.success(request, f"Moved {moved} due dates.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Move due dates",
            "form": form,
            "milestones": milestones,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/initiatives/milestone/move_due_date.html", context)


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


# --- Sign-in records (django-axes) ---------------------------------------------------------------
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # axes' own action reads the attempt time its sign-in handlers stamp on a request, which
        # an admin request has not got (AttributeError, a 500); without one it counts from now.
        request.axes_attempt_time = None  # type: ignore[attr-defined]
        super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)


# --- Tokens -------------------------------------------------------------------------------------
class AccessTokenAddForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(
        min_value=1, required=False, help_text="Leave empty for a token that never expires."
    )

    class Meta:
        model = AccessToken
        fields = ["user", "name", "scope"]


@admin.register(AccessToken)
class AccessTokenAdmin(SuperusersOnly, admin.ModelAdmin):
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
