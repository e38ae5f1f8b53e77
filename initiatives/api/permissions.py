"""API permissions, on the rules of ``initiatives.access``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import permissions
from rest_framework.request import Request

from initiatives.access import can_edit_agency_work, lead_agency_id


class ReadOpen(permissions.BasePermission):
    """Reads by any signed-in user, and by anyone when API_PUBLIC_READ is on."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return settings.API_PUBLIC_READ and request.method in permissions.SAFE_METHODS


class LeadAgencyEditsOrReadOnly(ReadOpen):
    """Writes by editors and managers of the lead agency, and by superusers.

    Creating checks the agency of the row being created, once the request data names it (the
    view calls ``check_object_permissions`` on the unsaved row).
    """

    message = "Only editors and managers of the lead agency may change this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_edit_agency_work(request.user, lead_agency_id(obj))


class SuperuserEditsOrReadOnly(ReadOpen):
    message = "Only superusers may change agencies."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_superuser)


class SuperuserEdits(permissions.IsAuthenticated):
    """Signed-in users read (what the view shows them); only superusers change."""

    message = "Only superusers may change memberships."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or request.user.is_superuser
