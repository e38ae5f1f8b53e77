"""Who a reminder goes to: the one rule, used by the sweep, by "send reminder now", and by the
reports of reminders that reach nobody.

The milestone's owner; else the lead agency's editors and managers; else the agency's contact
address. When the reminder escalates, also the agency's managers and the supervising agencies'
contact addresses. Where the rule finds nobody, it says why, so that such a reminder is
recorded and reported instead of dropped.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from initiatives.models import InitiativeAgency, Membership, Milestone


@dataclass
class AgencyPeople:
    """The people of each lead agency that reminders can go to, as (email, user id), loaded
    once per batch."""

    editors_and_managers: dict[int, list[tuple[str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    managers: dict[int, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, agency_ids: Iterable[int]) -> AgencyPeople:
        people = cls()
        memberships = (
            Membership.objects.filter(
                agency_id__in=set(agency_ids),
                role__in=[Membership.Role.EDITOR, Membership.Role.MANAGER],
                user__is_active=True,
            )
            .exclude(user__email="")
            .order_by("user_id")
            .values_list("agency_id", "role", "user__email", "user_id")
        )
        for agency_id, role, email, user_id in memberships:
            people.editors_and_managers[agency_id].append((email, user_id))
            if role == Membership.Role.MANAGER:
                people.managers[agency_id].append((email, user_id))
        return people


class Target(NamedTuple):
    """What choosing a milestone's recipients reads: plain values, no model instances (the
    sweep chooses for tens of thousands of milestones)."""

    id: int
    due_date: datetime.date | None
    initiative_id: int
    agency_id: int
    agency_short_name: str
    agency_contact_email: str
    owner_id: int | None
    owner_email: str | None
    owner_is_active: bool | None
    title: str

    @classmethod
    def of(cls, milestone: Milestone) -> Target:
        owner, agency = milestone.owner, milestone.initiative.owner_agency
        return cls(
            milestone.pk,
            milestone.due_date,
            milestone.initiative_id,
            agency.pk,
            agency.short_name,
            agency.contact_email,
            milestone.owner_id,
            owner.email if owner is not None else None,
            owner.is_active if owner is not None else None,
            milestone.title,
        )


# The columns of a milestone query that make a Target, in its order.
TARGET_COLUMNS = (
    "id",
    "due_date",
    "initiative_id",
    "initiative__owner_agency_id",
    "initiative__owner_agency__short_name",
    "initiative__owner_agency__contact_email",
    "owner_id",
    "owner__email",
    "owner__is_active",
    "title",
)


class Recipients(NamedTuple):
    """The (email, user id or None) a reminder goes to, and, when the rule found nobody for it
    or for its escalation, why (else empty)."""

    addresses: list[tuple[str, int | None]]
    unreached: str


def recipients_for(
    target: Target,
    *,
    escalated: bool,
    people: AgencyPeople,
    supervisors: dict[int, list[str]],
) -> Recipients:
    """The owner, else the lead agency's editors and managers, else its contact address; when
    escalated, also its managers and the supervising agencies."""
    found: list[tuple[str, int | None]] = []
    gaps = []
    agency = target.agency_short_name
    if target.owner_id is not None and target.owner_is_active and target.owner_email:
        found.append((target.owner_email, target.owner_id))
    elif people.editors_and_managers[target.agency_id]:
        found.extend(people.editors_and_managers[target.agency_id])
    elif target.agency_contact_email:
        found.append((target.agency_contact_email, None))
    else:
        owner = (
            "it has no owner"
            if target.owner_id is None
            else "its owner is inactive"
            if not target.owner_is_active
            else "its owner has no email address"
        )
        gaps.append(
            f"No recipient: {owner}, {agency} has no active editor or manager with an email "
            f"address, and {agency} has no contact address."
        )
    if escalated:
        escalation = [
            *people.managers[target.agency_id],
            *((email, None) for email in supervisors.get(target.initiative_id, [])),
        ]
        if not escalation:
            gaps.append(
                f"The escalation reaches nobody: {agency} has no active manager with an email "
                "address, and no supervising agency has a contact address."
            )
        found.extend(escalation)
    unique: dict[str, tuple[str, int | None]] = {}
    for email, user_id in found:
        unique.setdefault(email.strip().lower(), (email.strip(), user_id))
    return Recipients(list(unique.values()), " ".join(gaps))


def supervising_contacts(initiative_ids: Iterable[int]) -> dict[int, list[str]]:
    contacts: dict[int, list[str]] = defaultdict(list)
    roles = InitiativeAgency.objects.filter(
        initiative_id__in=set(initiative_ids), role=InitiativeAgency.Role.SUPERVISING
    ).exclude(agency__contact_email="")
    for initiative_id, email in roles.values_list("initiative_id", "agency__contact_email"):
        contacts[initiative_id].append(email)
    return contacts
