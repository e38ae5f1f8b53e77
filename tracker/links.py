"""Absolute links to a milestone, for emails and calendar feeds (which live outside the site)."""

from django.conf import settings
from django.urls import reverse


def milestone_admin_url(milestone_id: int) -> str:
    return settings.SITE_URL + reverse("admin:initiatives_milestone_change", args=[milestone_id])


def milestone_api_url(milestone_id: int) -> str:
    return settings.SITE_URL + reverse("api:milestone-detail", args=[milestone_id])
