"""Absolute links to a milestone, for emails and calendar feeds (which live outside the site)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

ADMIN_VIEW = "admin:initiatives_milestone_change"
API_VIEW = "api:milestone-detail"

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


@dataclass(frozen=True)
class MilestoneLinks:
    """The links of milestones under the URLconf and script prefix in force when it was made.

    A digest makes one for all its lines: each of the two is read through an asgiref ``Local``,
    and reading them cost as much as the rest of a link.
    """

    urlconf: str | None
    script_prefix: str

    @classmethod
    def current(cls) -> MilestoneLinks:
        return cls(get_urlconf(), get_script_prefix())

    def _url(self, view_name: str, milestone_id: int) -> str:
        before, after = _path_around_id(view_name, self.urlconf, self.script_prefix)
        return f"{settings.SITE_URL}{before}{int(milestone_id)}{after}"

    def admin_url(self, milestone_id: int) -> str:
        return self._url(ADMIN_VIEW, milestone_id)

    def api_url(self, milestone_id: int) -> str:
        return self._url(API_VIEW, milestone_id)


def milestone_admin_url(milestone_id: int) -> str:
    return MilestoneLinks.current().admin_url(milestone_id)


def milestone_api_url(milestone_id: int) -> str:
    return MilestoneLinks.current().api_url(milestone_id)
