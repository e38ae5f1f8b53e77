"""Who may change what: the one place the admin and the API ask.

Reading is open to every signed-in user (transparency across agencies). Changing an initiative,
or anything that belongs to one, takes an editor or manager membership in its lead agency;
superusers may change everything.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from initiatives.models import Agency, Indicator, IndicatorReading, Initiative, Membership

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


def choosable(user: Any, relation: str) -> QuerySet[Any] | None:
    """What ``user`` may pick for ``relation`` (a foreign key's name) on a row they write, or
    None when the choice is not limited: the admin's choices and the API's checks alike.

    The initiative, indicator and lead agency a row belongs to must be the user's to edit;
    a parent or a superseding initiative may be any of their agencies' initiatives; an owner,
    who receives the reminders, an active member of an agency they edit for.
    """
    if user.is_superuser:
        return None
    editable, member_of = agencies_editable_by(user), agencies_of(user)
    if relation == "initiative":
        return Initiative.objects.led_by(editable)
    if relation == "indicator":
        return Indicator.objects.filter(initiative__owner_agency_id__in=editable)
    if relation == "owner_agency":
        return Agency.objects.filter(pk__in=editable)
    if relation in ("parent", "superseded_by"):
        return Initiative.objects.led_by(member_of)
    if relation == "owner":
        return (
            get_user_model()
            .objects.filter(is_active=True, memberships__agency_id__in=editable)
            .distinct()
        )
    return None


def may_choose(user: Any, relation: str, row: Model) -> bool:
    """May ``user`` pick ``row`` for ``relation``? (See ``choosable``.)"""
    allowed = choosable(user, relation)
    return allowed is None or allowed.filter(pk=row.pk).exists()
