"""The admin site: Django's, with a password change of one's own written to the admin's log
(every other change in the admin is logged by the admin itself, with who made it), and the
security bookkeeping kept apart from the domain on the index."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# django-axes' sign-in records and the access tokens: superusers look after them, and on the
# index they are one "Security" section, not rows beside the domain's.
SECURITY_MODELS = frozenset(
    {"axes.accessattempt", "axes.accessfailurelog", "axes.accesslog", "initiatives.accesstoken"}
)
# The section links to the app index of axes, which shows the whole section.
SECURITY_APP_LABEL = "axes"


def is_security(model: dict[str, Any]) -> bool:
    """Whether an entry of the admin's app list is one of the security tables."""
    return model["model"]._meta.label_lower in SECURITY_MODELS


class TrackerAdminSite(admin.AdminSite):
    site_header = "Initiative Tracker"
    site_title = "Initiative Tracker"
    index_title = "Announced initiatives, from announcement to delivery"

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        # Every app, even for one app's index: the Security section gathers from several.
        app_list = super().get_app_list(request)
        security = [model for app in app_list for model in app["models"] if is_security(model)]
        for app in app_list:
            app["models"] = [model for model in app["models"] if not is_security(model)]
        app_list = [app for app in app_list if app["models"]]
        if security and request.user.is_superuser:
            app_list.append(
                {
                    "name": _("Security"),
                    "app_label": SECURITY_APP_LABEL,
                    "app_url": reverse(
                        f"{self.name}:app_list", kwargs={"app_label": SECURITY_APP_LABEL}
                    ),
                    "has_module_perms": True,
                    "models": sorted(security, key=lambda model: model["name"]),
                }
            )
            app_list.sort(key=lambda app: str(app["name"]).lower())
        if app_label is not None:
            app_list = [app for app in app_list if app["app_label"] == app_label]
        return app_list

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
