"""The reminder ledger in the admin: what was sent to whom, when, what failed, and which
reminders reach nobody (and why)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import ngettext

from initiatives.admin.base import LAYOUT_CSS
from initiatives.models import Milestone
from tracker import services
from tracker.models import Reminder, ReminderSweep
from tracker.tasks import queue_reminder_batches


def short_label(label: str) -> str:
    """A choice's label without its explanation: "Notice (before the deadline)" is "Notice"."""
    return label.split(" (")[0]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    # What went to whom about which deadline, and how it went: the columns a laptop's width
    # holds beside the filters. The slot and the day it was planned are on each row's page.
    list_display = [
        "milestone_title",
        "recipient",
        "level_label",
        "due_date",
        "status_label",
        "sent_at",
    ]
    list_filter = ["status", "level", "escalated", "planned_on"]
    list_select_related = ["milestone"]
    search_fields = ["recipient", "milestone__title", "message_id", "last_error"]
    date_hierarchy = "planned_on"
    show_full_result_count = False
    actions = ["retry_failed"]

    class Media:
        css = {"all": [LAYOUT_CSS]}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in Reminder._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The ledger is a record: readable, never edited by hand. The action below is the only
        # change staff make, and it goes through the service.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Reminders that reach nobody are not mail, so nothing else would draw staff to them.
        unreached = Reminder.objects.filter(
            status=Reminder.Status.UNREACHED,
            milestone__status__in=Milestone.OPEN_STATUSES,
            milestone__due_date=F("due_date"),
        ).count()
        if unreached and request.method == "GET":
            messages.warning(
                request,
                format_html(
                    '{} reminders of open milestones reach nobody: <a href="?status__exact={}">'
                    "which, and why</a>.",
                    unreached,
                    Reminder.Status.UNREACHED,
                ),
            )
        return super().changelist_view(request, extra_context)

    # Not the "milestone" field itself: the admin keeps a foreign key's column on one line.
    @admin.display(description="milestone", ordering="milestone__title")
    def milestone_title(self, reminder: Reminder) -> str:
        return reminder.milestone.title

    @admin.display(description="level", ordering="level")
    def level_label(self, reminder: Reminder) -> str:
        return short_label(reminder.get_level_display())

    @admin.display(description="status", ordering="status")
    def status_label(self, reminder: Reminder) -> str:
        status = short_label(reminder.get_status_display())
        # The attempts say something once a send has failed: a retry is coming, or gave up.
        attempts = reminder.attempts
        if attempts > (1 if reminder.status == Reminder.Status.SENT else 0):
            status = ngettext(
                "%(status)s (%(n)d attempt)", "%(status)s (%(n)d attempts)", attempts
            ) % {"status": status, "n": attempts}
        # A reminder that reaches nobody says why: there is no mail to look at instead.
        if reminder.status == Reminder.Status.UNREACHED and reminder.last_error:
            status = f"{status}: {reminder.last_error}"
        return status

    @admin.action(description="Retry the selected failed reminders")
    def retry_failed(self, request: HttpRequest, queryset: Any) -> None:
        failed = list(queryset.filter(status=Reminder.Status.FAILED))
        count = services.reminders_retry_failed(reminders=queryset)
        if count:
            queue_reminder_batches()
        for reminder in failed:  # the ledger does not say who asked: the admin's log does
            self.log_change(request, reminder, "Put back in the outbox.")
        messages.success(request, f"{count} failed reminders are back in the outbox.")


@admin.register(ReminderSweep)
class ReminderSweepAdmin(admin.ModelAdmin):
    list_display = ["planned_on", "started_at", "finished_at", "planned"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
