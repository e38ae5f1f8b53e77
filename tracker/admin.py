"""The reminder ledger in the admin: what was sent to whom, when, and what failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from tracker import services
from tracker.models import Reminder, ReminderSweep


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = [
        "milestone",
        "recipient",
        "level",
        "slot",
        "due_date",
        "status",
        "attempts",
        "sent_at",
        "planned_on",
    ]
    list_filter = ["status", "level", "escalated", "planned_on"]
    list_select_related = ["milestone"]
    search_fields = ["recipient", "milestone__title", "message_id", "last_error"]
    date_hierarchy = "planned_on"
    show_full_result_count = False
    actions = ["retry_failed"]

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

    @admin.action(description="Retry the selected failed reminders")
    def retry_failed(self, request: HttpRequest, queryset: Any) -> None:
        failed = list(queryset.filter(status=Reminder.Status.FAILED))
        count = services.reminders_retry_failed(reminders=queryset)
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
