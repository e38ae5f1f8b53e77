"""Who may change what: the one place the admin and the API ask.

Reading is open to every signed-in user (transparency across agencies). Changing an initiative,
or anything that belongs to one, takes an editor or manager membership in its lead agency;
superusers may change everything.
"""

from __future__ import annotations

from typing import Any

from initiatives.models import Indicator, IndicatorReading, Initiative, Membership

EDITING_ROLES = (Membership.Role.EDITOR, Membership.Role.MANAGER)


def agencies_editable_by(user: Any) -> set[int]:
    """Ids of the agencies whose initiatives ``user`` may change (not meaningful for superusers)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_editable_agency_ids", None)
    if cached is None:
        cached = set(
            Membership.objects.filter(user=user, role__in=EDITING_ROLES).values_list(
                "agency_id", flat=True
            )
        )
        user._editable_agency_ids = cached  # one query per request, however many checks
    return cached


def agencies_of(user: Any) -> set[int]:
    """Ids of the agencies ``user`` belongs to in any role (their admin sees these)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_member_agency_ids", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user).values_list("agency_id", flat=True))
        user._member_agency_ids = cached
    return cached


def can_edit_agency_work(user: Any, agency_id: int | None) -> bool:
    """May ``user`` change initiatives led by this agency (and their milestones, updates...)?"""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or agency_id in agencies_editable_by(user)


def lead_agency_id(obj: Any) -> int | None:
    """The lead agency of the initiative an object belongs to (saved or not)."""
    if isinstance(obj, Initiative):
        return obj.owner_agency_id
    if isinstance(obj, IndicatorReading):
        return obj.indicator.initiative.owner_agency_id
    if isinstance(obj, Indicator) or hasattr(obj, "initiative_id"):
        return obj.initiative.owner_agency_id
    raise TypeError(f"{type(obj).__name__} belongs to no initiative")
