"""The admin site: Django's, with a password change of one's own written to the admin's log
(every other change in the admin is logged by the admin itself, with who made it)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse


class TrackerAdminSite(admin.AdminSite):
    site_header = "Initiative Tracker"
    site_title = "Initiative Tracker"
    index_title = "Announced initiatives, from announcement to delivery"

    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        # Imported here: this module is loaded with the app registry, before any model.
        from django.contrib.admin.models import CHANGE, LogEntry

        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:  # changed
            user: Any = request.user
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=[user],
                action_flag=CHANGE,
                change_message="Changed their own password.",
                single_object=True,
            )
        return response


class TrackerAdminConfig(AdminConfig):
    default_site = "config.admin_site.TrackerAdminSite"
