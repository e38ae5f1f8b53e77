"""Milestones: the due-date rule in the form, bulk actions for completion, reminders and moves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import ngettext

from initiatives import services
from initiatives.access import agencies_editable_by
from initiatives.admin.base import (
    DUE_STATUS_COLOURS,
    LAYOUT_CSS,
    ScopedHistoryAdmin,
    badge,
    error_text,
)
from initiatives.models import Milestone
from tracker.services import reminder_send_now
from tracker.tasks import queue_reminder_batches


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored reason is shown with the field that takes the next one, not as a second
        # "reason" field beside it.
        stored = self.instance.due_date_reason
        if stored:
            field = self.fields["move_reason"]
            field.help_text = format_html(
                "{} It moved from the baseline because: {}", field.help_text, stored
            )

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


class ReasonFieldForReaders:
    """Who may change a milestone gets the field for the next move's reason (it says the stored
    one); who may only read it sees the stored reason in its place."""

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return fields
        return ["due_date_reason" if name == "move_reason" else name for name in fields]


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
class MilestoneAdmin(ReasonFieldForReaders, ScopedHistoryAdmin):
    agency_field = "initiative__owner_agency"
    form = MilestoneForm
    # The deadline first, right after what it is for; where it belongs last.
    list_display = [
        "title",
        "due",
        "due_status_badge",
        "status",
        "owner",
        "initiative_title",
        "lead_agency",
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
        "baseline_due_date",
        "move_reason",
        "owner",
        "status",
        "completed_on",
        "version",
    ]

    class Media:
        css = {"all": [LAYOUT_CSS]}

    @admin.display(description="due date", ordering="due_date")
    def due(self, milestone: Milestone) -> str:
        """The due date, and under it how far it has moved from the baseline."""
        if milestone.due_date is None:
            return self.get_empty_value_display()
        date = format_html('<span class="nowrap">{}</span>', localize(milestone.due_date))
        slipped = milestone.days_slipped
        if not slipped:
            return date
        if slipped > 0:
            moved = ngettext("moved %d day later", "moved %d days later", slipped) % slipped
        else:
            moved = ngettext("moved %d day earlier", "moved %d days earlier", -slipped) % -slipped
        return format_html("{}<br><small>{}</small>", date, moved)

    # Not the "initiative" field itself: the admin keeps a foreign key's column on one line,
    # and an initiative's title is long.
    @admin.display(description="initiative", ordering="initiative__title")
    def initiative_title(self, milestone: Milestone) -> str:
        return milestone.initiative.title

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
        if queued:
            queue_reminder_batches()
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
