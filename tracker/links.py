"""Absolute links to a milestone, for emails and calendar feeds (which live outside the site)."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# reverse() matches the view's URL patterns again on every call, and a digest or a calendar
# feed links many milestones: each path is reversed once with this number for the id, and the
# number is replaced by each milestone's id (digits, which reverse() leaves as they are).
_ID_STAND_IN = "9081726354"


@functools.lru_cache(maxsize=64)
def _path_around_id(view_name: str, urlconf: str | None, script_prefix: str) -> tuple[str, str]:
    """The path of ``view_name`` before and after the id (per URLconf and script prefix, the
    two things besides the id that reverse() reads)."""
    path = reverse(view_name, urlconf=urlconf, args=[int(_ID_STAND_IN)])
    before, found, after = path.partition(_ID_STAND_IN)
    if not found:
        raise ValueError(f"{view_name!r} does not write the id into its path as given: {path}")
    return before, after


def _milestone_url(view_name: str, milestone_id: int) -> str:
    before, after = _path_around_id(view_name, get_urlconf(), get_script_prefix())
    return f"{settings.SITE_URL}{before}{int(milestone_id)}{after}"


def milestone_admin_url(milestone_id: int) -> str:
    return _milestone_url("admin:initiatives_milestone_change", milestone_id)


def milestone_api_url(milestone_id: int) -> str:
    return _milestone_url("api:milestone-detail", milestone_id)
