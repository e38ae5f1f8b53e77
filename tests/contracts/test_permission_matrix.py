"""One table of every write path of the product, the REST API's and the admin's, for every kind
of caller.

Nothing is writable that should not be: a refused write changes no row anywhere (the whole
database is compared before and after), and an accepted one makes the change it names. Every
accepted write leaves new audit-history rows, each with the acting user, in the history of every
table it changed (or, for the few tables listed in RECORDED_OTHERWISE, in the record named there:
the admin's log, say).

The table is complete by construction: a test lists the write operations of the OpenAPI schema
and of every model admin registered (add, change, delete, each action and inline, history
reverts, password forms) and fails on any the table does not cover.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from simple_history.admin import SimpleHistoryAdmin

from initiatives.models import (
    AccessToken,
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeAgency,
    InitiativeSource,
    Membership,
    Milestone,
    ProgressUpdate,
    Source,
    Tag,
)
from initiatives.tokens import token_issue
from tests.admin_forms import initiative_form, inline_rows, iso, milestone_form
from tests.db_state import changed_tables, database_state
from tests.factories import (
    AgencyFactory,
    IndicatorFactory,
    IndicatorReadingFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MembershipFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    SourceFactory,
    UserFactory,
)
from tests.initiatives.api.conftest import ROLES, World
from tracker.models import Reminder, ReminderSweep

# The roles of the issue, plus two that only the admin tells apart from others: an editor
# without the staff flag (the API lets them write, the admin lets them in nowhere), and an
# editor of another agency who also views the lead agency (the admin lists the lead's rows to
# them, so every write path must check the right to change, not the right to see).
MATRIX_ROLES = (*ROLES, "editor_not_staff", "viewer_here_editor_elsewhere")
SIGNED_IN = frozenset(MATRIX_ROLES) - {"anonymous"}
STAFF = SIGNED_IN - {"editor_not_staff"}
API_LEAD_WRITERS = frozenset({"editor", "manager", "superuser", "editor_not_staff"})
ADMIN_LEAD_WRITERS = frozenset({"editor", "manager", "superuser"})
SUPERUSER = frozenset({"superuser"})
NOBODY: frozenset[str] = frozenset()
ADMIN_REFUSALS = {200, 302, 403}  # a form with errors, "does not exist" or "no action", 403
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "Orchid lantern quay 2031"


@dataclass
class Call:
    """One request, and how to tell that the write it asks for happened."""

    method: str
    url: str
    data: dict[str, Any]
    done: Callable[[HttpResponse], bool]
    # History-tracked models the write must add audit rows to (each with the actor).
    tracked: tuple[type[Model], ...] = ()


@dataclass(frozen=True)
class Operation:
    surface: str  # "api" or "admin"
    allowed: frozenset[str]
    covers: str  # the write path, as the completeness test names it
    prepare: Callable[[World, str], Call]
    status: int  # the answer an allowed caller gets
    writes: bool = True  # False: a step that only asks (nothing may change for anyone)
    refusal: int = 403  # the API's answer to a signed-in caller who may not


OPERATIONS: dict[str, Operation] = {}


def operation(
    name: str, surface: str, allowed: frozenset[str], covers: str, status: int, **options: Any
) -> Callable[[Callable[[World, str], Call]], Callable[[World, str], Call]]:
    def register(prepare: Callable[[World, str], Call]) -> Callable[[World, str], Call]:
        assert name not in OPERATIONS, name
        OPERATIONS[name] = Operation(surface, allowed, covers, prepare, status, **options)
        return prepare

    return register


def api(name: str, allowed: frozenset[str], covers: str, status: int, **options: Any) -> Any:
    return operation(f"api: {name}", "api", allowed, covers, status, **options)


def admin_op(name: str, allowed: frozenset[str], covers: str, status: int = 302, **kw: Any) -> Any:
    return operation(f"admin: {name}", "admin", allowed, f"admin {covers}", status, **kw)


# --- Builders ----------------------------------------------------------------------------------
def lead_initiative(world: World, **fields: Any) -> Initiative:
    return InitiativeFactory(owner_agency=world.lead, **fields)


def gone(model: type[Model], pk: Any) -> Callable[[HttpResponse], bool]:
    return lambda _: not model._base_manager.filter(pk=pk).exists()


def exists(model: type[Model], **lookup: Any) -> Callable[[HttpResponse], bool]:
    return lambda _: model._base_manager.filter(**lookup).exists()


def url(name: str, *args: Any) -> str:
    return reverse(f"admin:{name}", args=args)


def indicator_form(indicator: Indicator | None, initiative: Initiative, **changes: Any) -> Any:
    data = {
        "initiative": initiative.pk,
        "name": indicator.name if indicator else "Standard racks",
        "description": "",
        "unit": indicator.unit if indicator else "racks",
        "direction": "increase",
        "kind": "",
        "baseline_value": "",
        "baseline_date": "",
        "target_value": "",
        "target_date": "",
        **inline_rows("readings"),
    }
    return data | changes


def reading_form(indicator: Indicator, **changes: Any) -> dict[str, Any]:
    data = {
        "indicator": indicator.pk,
        "observed_on": "2024-01-01",
        "qualifier": "more_than",
        "value": "6500000",
        "source": "",
        "excerpt": "",
        "speaker": "",
    }
    return data | changes


def action(name: str, *rows: Model, **extra: Any) -> dict[str, Any]:
    return {"action": name, "_selected_action": [row.pk for row in rows], **extra}


def bulk_delete(*rows: Model) -> dict[str, Any]:
    return action("delete_selected", *rows, post="yes")


def with_earlier_version(model_row: Any, field: str, later: str) -> tuple[Any, Any]:
    """Save ``model_row`` once more with ``field`` changed; return (its first history row, the
    version it has now)."""
    first = model_row.history.order_by("history_id").first()
    setattr(model_row, field, later)
    model_row.save()
    return first, model_row.version


# --- The REST API --------------------------------------------------------------------------------
@api("create agency", SUPERUSER, "POST /api/v1/agencies/", 201)
def _(world: World, role: str) -> Call:
    body = {"name": "New", "short_name": "NEW", "slug": "new"}
    return Call("post", "/api/v1/agencies/", body, exists(Agency, short_name="NEW"))


@api("replace agency", SUPERUSER, "PUT /api/v1/agencies/{id}/", 200)
def _(world: World, role: str) -> Call:
    agency = AgencyFactory()
    body = {"name": "Renamed", "short_name": agency.short_name, "slug": agency.slug}
    return Call("put", f"/api/v1/agencies/{agency.pk}/", body, exists(Agency, name="Renamed"))


@api("change agency", SUPERUSER, "PATCH /api/v1/agencies/{id}/", 200)
def _(world: World, role: str) -> Call:
    body = {"contact_email": "d@example.org"}
    done = exists(Agency, pk=world.lead.pk, contact_email="d@example.org")
    return Call("patch", f"/api/v1/agencies/{world.lead.pk}/", body, done)


@api("delete agency", SUPERUSER, "DELETE /api/v1/agencies/{id}/", 204)
def _(world: World, role: str) -> Call:
    agency = AgencyFactory()
    return Call("delete", f"/api/v1/agencies/{agency.pk}/", {}, gone(Agency, agency.pk))


@api("create membership", SUPERUSER, "POST /api/v1/memberships/", 201)
def _(world: World, role: str) -> Call:
    user = UserFactory()
    body = {"user": user.pk, "agency": world.lead.pk, "role": "editor"}
    return Call("post", "/api/v1/memberships/", body, exists(Membership, user=user))


@api("replace membership", SUPERUSER, "PUT /api/v1/memberships/{id}/", 200)
def _(world: World, role: str) -> Call:
    membership = MembershipFactory(agency=world.elsewhere, role="viewer")
    body = {"user": membership.user_id, "agency": world.elsewhere.pk, "role": "manager"}
    done = exists(Membership, pk=membership.pk, role="manager")
    return Call("put", f"/api/v1/memberships/{membership.pk}/", body, done)


@api("change membership", SUPERUSER, "PATCH /api/v1/memberships/{id}/", 200)
def _(world: World, role: str) -> Call:
    membership = MembershipFactory(agency=world.elsewhere, role="viewer")
    done = exists(Membership, pk=membership.pk, role="manager")
    return Call("patch", f"/api/v1/memberships/{membership.pk}/", {"role": "manager"}, done)


@api("delete membership", SUPERUSER, "DELETE /api/v1/memberships/{id}/", 204)
def _(world: World, role: str) -> Call:
    membership = MembershipFactory(agency=world.elsewhere, role="viewer")
    return Call(
        "delete", f"/api/v1/memberships/{membership.pk}/", {}, gone(Membership, membership.pk)
    )


@api(
    "create initiative with a supporting agency", API_LEAD_WRITERS, "POST /api/v1/initiatives/", 201
)
def _(world: World, role: str) -> Call:
    body = {
        "title": "New",
        "slug": "new",
        "owner_agency": world.lead.pk,
        "supporting_agencies": [{"agency": world.elsewhere.pk, "role": "participating"}],
    }
    done = exists(InitiativeAgency, initiative__slug="new", agency=world.elsewhere)
    return Call("post", "/api/v1/initiatives/", body, done, (Initiative, InitiativeAgency))


@api("replace initiative", API_LEAD_WRITERS, "PUT /api/v1/initiatives/{id}/", 200)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    body = {"title": "Replaced", "slug": "replaced", "owner_agency": world.lead.pk}
    done = exists(Initiative, pk=initiative.pk, title="Replaced")
    return Call("put", f"/api/v1/initiatives/{initiative.pk}/", body, done, (Initiative,))


@api("change initiative", API_LEAD_WRITERS, "PATCH /api/v1/initiatives/{id}/", 200)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    done = exists(Initiative, pk=initiative.pk, confidence="amber", version=2)
    url_ = f"/api/v1/initiatives/{initiative.pk}/"
    return Call("patch", url_, {"confidence": "amber"}, done, (Initiative,))


@api("replace supporting agencies", API_LEAD_WRITERS, "PATCH /api/v1/initiatives/{id}/", 200)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    InitiativeAgencyFactory(initiative=initiative, agency=AgencyFactory(), role="co_lead")
    body = {"supporting_agencies": [{"agency": world.elsewhere.pk, "role": "supervising"}]}
    wanted = [(world.elsewhere.pk, "supervising")]

    def done(_: HttpResponse) -> bool:
        return list(initiative.agency_roles.values_list("agency", "role")) == wanted

    url_ = f"/api/v1/initiatives/{initiative.pk}/"
    return Call("patch", url_, body, done, (Initiative, InitiativeAgency))


@api("delete initiative", API_LEAD_WRITERS, "DELETE /api/v1/initiatives/{id}/", 204)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    url_ = f"/api/v1/initiatives/{initiative.pk}/"
    return Call("delete", url_, {}, gone(Initiative, initiative.pk), (Initiative,))


@api("post update on initiative", API_LEAD_WRITERS, "POST /api/v1/initiatives/{id}/updates/", 201)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    body = {"body": "Going well", "progress": 10}
    done = exists(Initiative, pk=initiative.pk, progress=10, updates__body="Going well")
    url_ = f"/api/v1/initiatives/{initiative.pk}/updates/"
    return Call("post", url_, body, done, (Initiative,))


@api("post update", API_LEAD_WRITERS, "POST /api/v1/updates/", 201)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    body = {"initiative": initiative.pk, "body": "Supplier risk", "confidence": "amber"}
    done = exists(Initiative, pk=initiative.pk, confidence="amber", updates__body="Supplier risk")
    return Call("post", "/api/v1/updates/", body, done, (Initiative,))


@api("create milestone", API_LEAD_WRITERS, "POST /api/v1/milestones/", 201)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    body = {"initiative": initiative.pk, "title": "Pilot", "due_date": "2031-01-01"}
    done = exists(Milestone, initiative=initiative, baseline_due_date=datetime.date(2031, 1, 1))
    return Call("post", "/api/v1/milestones/", body, done, (Milestone,))


@api("replace milestone", API_LEAD_WRITERS, "PUT /api/v1/milestones/{id}/", 200)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    body = {"initiative": milestone.initiative_id, "title": "Replaced", "due_date": "2030-06-30"}
    done = exists(Milestone, pk=milestone.pk, title="Replaced")
    return Call("put", f"/api/v1/milestones/{milestone.pk}/", body, done, (Milestone,))


@api("change milestone", API_LEAD_WRITERS, "PATCH /api/v1/milestones/{id}/", 200)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    done = exists(Milestone, pk=milestone.pk, title="Renamed")
    url_ = f"/api/v1/milestones/{milestone.pk}/"
    return Call("patch", url_, {"title": "Renamed"}, done, (Milestone,))


@api("delete milestone", API_LEAD_WRITERS, "DELETE /api/v1/milestones/{id}/", 204)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    url_ = f"/api/v1/milestones/{milestone.pk}/"
    return Call("delete", url_, {}, gone(Milestone, milestone.pk), (Milestone,))


@api("complete milestone", API_LEAD_WRITERS, "POST /api/v1/milestones/{id}/complete/", 200)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    url_ = f"/api/v1/milestones/{milestone.pk}/complete/"
    done = exists(Milestone, pk=milestone.pk, status="done")
    return Call("post", url_, {}, done, (Milestone,))


@api("create indicator", API_LEAD_WRITERS, "POST /api/v1/indicators/", 201)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    body = {"initiative": initiative.pk, "name": "Racks", "unit": "racks"}
    return Call("post", "/api/v1/indicators/", body, exists(Indicator, initiative=initiative))


@api("replace indicator", API_LEAD_WRITERS, "PUT /api/v1/indicators/{id}/", 200)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    body = {"initiative": indicator.initiative_id, "name": "Racks", "unit": "racks"}
    done = exists(Indicator, pk=indicator.pk, name="Racks")
    return Call("put", f"/api/v1/indicators/{indicator.pk}/", body, done)


@api("change indicator", API_LEAD_WRITERS, "PATCH /api/v1/indicators/{id}/", 200)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    done = exists(Indicator, pk=indicator.pk, unit="standard racks")
    url_ = f"/api/v1/indicators/{indicator.pk}/"
    return Call("patch", url_, {"unit": "standard racks"}, done)


@api("delete indicator", API_LEAD_WRITERS, "DELETE /api/v1/indicators/{id}/", 204)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    return Call("delete", f"/api/v1/indicators/{indicator.pk}/", {}, gone(Indicator, indicator.pk))


@api("create reading", API_LEAD_WRITERS, "POST /api/v1/readings/", 201)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    body = {
        "indicator": indicator.pk,
        "observed_on": "2024-01-01",
        "value": "6500000",
        "qualifier": "more_than",
    }
    return Call("post", "/api/v1/readings/", body, exists(IndicatorReading, indicator=indicator))


@api("replace reading", API_LEAD_WRITERS, "PUT /api/v1/readings/{id}/", 200)
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    body = {
        "indicator": reading.indicator_id,
        "observed_on": "2023-03-01",
        "value": "7000000",
        "qualifier": "about",
    }
    done = exists(IndicatorReading, pk=reading.pk, qualifier="about")
    return Call("put", f"/api/v1/readings/{reading.pk}/", body, done)


@api("change reading", API_LEAD_WRITERS, "PATCH /api/v1/readings/{id}/", 200)
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    done = exists(IndicatorReading, pk=reading.pk, value=7000000)
    return Call("patch", f"/api/v1/readings/{reading.pk}/", {"value": "7000000"}, done)


@api("delete reading", API_LEAD_WRITERS, "DELETE /api/v1/readings/{id}/", 204)
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    url_ = f"/api/v1/readings/{reading.pk}/"
    return Call("delete", url_, {}, gone(IndicatorReading, reading.pk))


@api("create own feed token", SIGNED_IN, "POST /api/v1/feed-tokens/", 201)
def _(world: World, role: str) -> Call:
    done = exists(AccessToken, scope="calendar", name="phone", user=world.users.get(role))
    return Call("post", "/api/v1/feed-tokens/", {"name": "phone"}, done)


@api("revoke own feed token", SIGNED_IN, "DELETE /api/v1/feed-tokens/{id}/", 204)
def _(world: World, role: str) -> Call:
    owner = world.users.get(role) or UserFactory()
    row, _token = token_issue(user=owner, name="phone", scope=AccessToken.Scope.CALENDAR)
    done = exists(AccessToken, pk=row.pk, revoked_at__isnull=False)
    return Call("delete", f"/api/v1/feed-tokens/{row.pk}/", {}, done)


@api(
    "revoke someone else's feed token",
    NOBODY,
    "DELETE /api/v1/feed-tokens/{id}/",
    204,
    refusal=404,
)
def _(world: World, role: str) -> Call:
    row, _token = token_issue(user=UserFactory(), name="phone", scope=AccessToken.Scope.CALENDAR)
    done = exists(AccessToken, pk=row.pk, revoked_at__isnull=False)
    return Call("delete", f"/api/v1/feed-tokens/{row.pk}/", {}, done)


# --- The admin: initiatives and their inlines ---------------------------------------------------
@admin_op("add initiative", ADMIN_LEAD_WRITERS, "initiatives.Initiative add")
def _(world: World, role: str) -> Call:
    done = exists(Initiative, slug="new-from-the-admin", owner_agency=world.lead)
    new = Initiative(
        title="New from the admin",
        slug="new-from-the-admin",
        owner_agency=world.lead,
        announced_on=datetime.date(2023, 3, 1),
    )
    add = url("initiatives_initiative_add")
    return Call("post", add, initiative_form(new), done, (Initiative,))


@admin_op("change initiative", ADMIN_LEAD_WRITERS, "initiatives.Initiative change")
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    data = initiative_form(initiative, title="Renamed", confidence="amber")
    done = exists(Initiative, pk=initiative.pk, title="Renamed", confidence="amber", version=2)
    change = url("initiatives_initiative_change", initiative.pk)
    return Call("post", change, data, done, (Initiative,))


@admin_op("delete initiative", ADMIN_LEAD_WRITERS, "initiatives.Initiative delete")
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    delete = url("initiatives_initiative_delete", initiative.pk)
    return Call("post", delete, {"post": "yes"}, gone(Initiative, initiative.pk), (Initiative,))


@admin_op(
    "bulk-delete initiatives",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative action delete_selected",
)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    changelist = url("initiatives_initiative_changelist")
    done = gone(Initiative, initiative.pk)
    return Call("post", changelist, bulk_delete(initiative), done, (Initiative,))


@admin_op(
    "revert initiative to an earlier version", ADMIN_LEAD_WRITERS, "initiatives.Initiative revert"
)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world, title="As announced")
    first, version = with_earlier_version(initiative, "title", "Renamed since")
    data = initiative_form(initiative, title="As announced")
    revert = url("initiatives_initiative_simple_history", initiative.pk, first.history_id)
    # The version only moves forward, or a stale ETag would match again.
    done = exists(Initiative, pk=initiative.pk, title="As announced", version=version + 1)
    return Call("post", revert, data, done, (Initiative,))


def initiative_with_inline_row(
    world: World, prefix: str, row: dict[str, Any]
) -> tuple[Initiative, dict[str, Any], str]:
    initiative = lead_initiative(world)
    data = initiative_form(initiative) | inline_rows(prefix, row)
    return initiative, data, url("initiatives_initiative_change", initiative.pk)


@admin_op(
    "post a progress update in the initiative's timeline inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.ProgressUpdate",
)
def _(world: World, role: str) -> Call:
    row = {"body": "Supplier risk", "status": "", "confidence": "amber", "progress": ""}
    initiative, data, change = initiative_with_inline_row(world, "updates", row)
    done = exists(Initiative, pk=initiative.pk, confidence="amber", updates__body="Supplier risk")
    return Call("post", change, data, done, (Initiative,))


@admin_op(
    "add a milestone in the initiative's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.Milestone",
)
def _(world: World, role: str) -> Call:
    row = {"title": "Pilot", "due_date": "2031-01-01", "move_reason": "", "status": "planned"}
    initiative, data, change = initiative_with_inline_row(world, "milestones", row)
    done = exists(Milestone, initiative=initiative, title="Pilot")
    return Call("post", change, data, done, (Initiative, Milestone))


@admin_op(
    "remove a milestone in the initiative's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.Milestone",
)
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    milestone = MilestoneFactory(initiative=initiative)
    row = milestone_form(milestone) | {"id": milestone.pk, "DELETE": "on"}
    data = initiative_form(initiative) | inline_rows("milestones", row, initial=1)
    change = url("initiatives_initiative_change", initiative.pk)
    return Call("post", change, data, gone(Milestone, milestone.pk), (Initiative, Milestone))


@admin_op(
    "add a supporting agency in the initiative's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.InitiativeAgency",
)
def _(world: World, role: str) -> Call:
    row = {"agency": world.elsewhere.pk, "role": "supervising"}
    initiative, data, change = initiative_with_inline_row(world, "agency_roles", row)
    done = exists(InitiativeAgency, initiative=initiative, agency=world.elsewhere)
    return Call("post", change, data, done, (Initiative, InitiativeAgency))


@admin_op(
    "add an indicator in the initiative's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.Indicator",
)
def _(world: World, role: str) -> Call:
    row = {"name": "Racks", "unit": "racks", "direction": "increase", "kind": ""}
    initiative, data, change = initiative_with_inline_row(world, "indicators", row)
    return Call("post", change, data, exists(Indicator, initiative=initiative), (Initiative,))


@admin_op(
    "cite a source in the initiative's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Initiative inline initiatives.InitiativeSource",
)
def _(world: World, role: str) -> Call:
    source = SourceFactory()
    row = {"source": source.pk, "excerpt": "We will build more 5G base stations.", "speaker": ""}
    initiative, data, change = initiative_with_inline_row(world, "citations", row)
    done = exists(InitiativeSource, initiative=initiative, source=source)
    return Call("post", change, data, done, (Initiative,))


# --- The admin: milestones and their bulk actions ---------------------------------------------
@admin_op("add milestone", ADMIN_LEAD_WRITERS, "initiatives.Milestone add")
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    done = exists(Milestone, initiative=initiative, baseline_due_date=datetime.date(2031, 1, 1))
    new = Milestone(initiative=initiative, title="Pilot lines", due_date=datetime.date(2031, 1, 1))
    return Call("post", url("initiatives_milestone_add"), milestone_form(new), done, (Milestone,))


@admin_op("change milestone", ADMIN_LEAD_WRITERS, "initiatives.Milestone change")
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    data = milestone_form(milestone, due_date="2030-09-30", move_reason="Tender re-run")
    done = exists(Milestone, pk=milestone.pk, due_date_reason="Tender re-run")
    change = url("initiatives_milestone_change", milestone.pk)
    return Call("post", change, data, done, (Milestone,))


@admin_op("delete milestone", ADMIN_LEAD_WRITERS, "initiatives.Milestone delete")
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    delete = url("initiatives_milestone_delete", milestone.pk)
    return Call("post", delete, {"post": "yes"}, gone(Milestone, milestone.pk), (Milestone,))


@admin_op(
    "bulk-delete milestones", ADMIN_LEAD_WRITERS, "initiatives.Milestone action delete_selected"
)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_milestone_changelist")
    return Call(
        "post", changelist, bulk_delete(milestone), gone(Milestone, milestone.pk), (Milestone,)
    )


@admin_op(
    "revert milestone to an earlier version", ADMIN_LEAD_WRITERS, "initiatives.Milestone revert"
)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world), title="As announced")
    first, version = with_earlier_version(milestone, "title", "Renamed since")
    data = milestone_form(milestone, title="As announced")
    revert = url("initiatives_milestone_simple_history", milestone.pk, first.history_id)
    done = exists(Milestone, pk=milestone.pk, title="As announced", version=version + 1)
    return Call("post", revert, data, done, (Milestone,))


@admin_op("mark milestones done", ADMIN_LEAD_WRITERS, "initiatives.Milestone action mark_done")
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_milestone_changelist")
    done = exists(Milestone, pk=milestone.pk, status="done")
    return Call("post", changelist, action("mark_done", milestone), done, (Milestone,))


@admin_op(
    "send a reminder now", ADMIN_LEAD_WRITERS, "initiatives.Milestone action send_reminder_now"
)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_milestone_changelist")
    data = action("send_reminder_now", milestone)
    return Call("post", changelist, data, exists(Reminder, milestone=milestone))


@admin_op(
    "move due dates: the form that asks for the date",
    ADMIN_LEAD_WRITERS,
    "initiatives.Milestone action move_due_date",
    status=200,
    writes=False,
)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world), title="Pilot lines")
    changelist = url("initiatives_milestone_changelist")

    def lists_the_milestone(response: HttpResponse) -> bool:
        page = response.content.decode()
        return response.status_code == 200 and "New due date" in page and "Pilot lines" in page

    return Call("post", changelist, action("move_due_date", milestone), lists_the_milestone)


@admin_op(
    "move due dates: confirmed",
    ADMIN_LEAD_WRITERS,
    "initiatives.Milestone action move_due_date",
)
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_milestone_changelist")
    data = action(
        "move_due_date", milestone, apply="1", due_date="2030-09-30", reason="Tender re-run"
    )
    done = exists(Milestone, pk=milestone.pk, due_date=datetime.date(2030, 9, 30))
    return Call("post", changelist, data, done, (Milestone,))


# --- The admin: progress updates, indicators, readings -------------------------------------------
@admin_op("post progress update", ADMIN_LEAD_WRITERS, "initiatives.ProgressUpdate add")
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    data = {"initiative": initiative.pk, "body": "Risks", "status": "", "confidence": "amber"}
    done = exists(Initiative, pk=initiative.pk, confidence="amber", updates__body="Risks")
    return Call(
        "post", url("initiatives_progressupdate_add"), data | {"progress": ""}, done, (Initiative,)
    )


@admin_op("rewrite progress update", NOBODY, "initiatives.ProgressUpdate change")
def _(world: World, role: str) -> Call:
    update = ProgressUpdateFactory(initiative=lead_initiative(world))
    data = {"initiative": update.initiative_id, "body": "Rewritten", "status": "", "confidence": ""}
    change = url("initiatives_progressupdate_change", update.pk)
    return Call("post", change, data, exists(ProgressUpdate, body="Rewritten"))


@admin_op("delete progress update", NOBODY, "initiatives.ProgressUpdate delete")
def _(world: World, role: str) -> Call:
    update = ProgressUpdateFactory(initiative=lead_initiative(world))
    delete = url("initiatives_progressupdate_delete", update.pk)
    return Call("post", delete, {"post": "yes"}, gone(ProgressUpdate, update.pk))


@admin_op(
    "bulk-delete progress updates", NOBODY, "initiatives.ProgressUpdate action delete_selected"
)
def _(world: World, role: str) -> Call:
    update = ProgressUpdateFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_progressupdate_changelist")
    return Call("post", changelist, bulk_delete(update), gone(ProgressUpdate, update.pk))


@admin_op("add indicator", ADMIN_LEAD_WRITERS, "initiatives.Indicator add")
def _(world: World, role: str) -> Call:
    initiative = lead_initiative(world)
    data = indicator_form(None, initiative)
    return Call(
        "post", url("initiatives_indicator_add"), data, exists(Indicator, initiative=initiative)
    )


@admin_op("change indicator", ADMIN_LEAD_WRITERS, "initiatives.Indicator change")
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    data = indicator_form(indicator, indicator.initiative, unit="standard racks")
    change = url("initiatives_indicator_change", indicator.pk)
    return Call("post", change, data, exists(Indicator, pk=indicator.pk, unit="standard racks"))


@admin_op(
    "add a reading in the indicator's inline",
    ADMIN_LEAD_WRITERS,
    "initiatives.Indicator inline initiatives.IndicatorReading",
)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    data = indicator_form(indicator, indicator.initiative) | inline_rows(
        "readings", reading_form(indicator)
    )
    change = url("initiatives_indicator_change", indicator.pk)
    return Call("post", change, data, exists(IndicatorReading, indicator=indicator))


@admin_op("delete indicator", ADMIN_LEAD_WRITERS, "initiatives.Indicator delete")
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    delete = url("initiatives_indicator_delete", indicator.pk)
    return Call("post", delete, {"post": "yes"}, gone(Indicator, indicator.pk))


@admin_op(
    "bulk-delete indicators", ADMIN_LEAD_WRITERS, "initiatives.Indicator action delete_selected"
)
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    changelist = url("initiatives_indicator_changelist")
    return Call("post", changelist, bulk_delete(indicator), gone(Indicator, indicator.pk))


@admin_op("add reading", ADMIN_LEAD_WRITERS, "initiatives.IndicatorReading add")
def _(world: World, role: str) -> Call:
    indicator = IndicatorFactory(initiative=lead_initiative(world))
    add = url("initiatives_indicatorreading_add")
    return Call("post", add, reading_form(indicator), exists(IndicatorReading, indicator=indicator))


@admin_op("change reading", ADMIN_LEAD_WRITERS, "initiatives.IndicatorReading change")
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    data = reading_form(reading.indicator, observed_on="2023-03-01", value="7000000")
    change = url("initiatives_indicatorreading_change", reading.pk)
    return Call("post", change, data, exists(IndicatorReading, pk=reading.pk, value=7000000))


@admin_op("delete reading", ADMIN_LEAD_WRITERS, "initiatives.IndicatorReading delete")
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    delete = url("initiatives_indicatorreading_delete", reading.pk)
    return Call("post", delete, {"post": "yes"}, gone(IndicatorReading, reading.pk))


@admin_op(
    "bulk-delete readings",
    ADMIN_LEAD_WRITERS,
    "initiatives.IndicatorReading action delete_selected",
)
def _(world: World, role: str) -> Call:
    reading = IndicatorReadingFactory(indicator__initiative=lead_initiative(world))
    changelist = url("initiatives_indicatorreading_changelist")
    return Call("post", changelist, bulk_delete(reading), gone(IndicatorReading, reading.pk))


# --- The admin: reference data, people, groups (superusers change them) ------------------------
def reference_data_operations(
    label: str,
    build: Callable[[], Model],
    new: Callable[[World], dict[str, Any]],
    form: Callable[[Any], dict[str, Any]],
    changed: dict[str, Any],
) -> None:
    """Add, change, delete and bulk-delete of a model only superusers change.

    ``new`` gives the add form's data, its first field one that finds the added row.
    """
    app_model = label.lower().replace(".", "_")
    model_class = _MODELS[label]

    @admin_op(f"add {label}", SUPERUSER, f"{label} add")
    def _add(world: World, role: str) -> Call:
        data = new(world)
        key = next(iter(data))
        return Call("post", url(f"{app_model}_add"), data, exists(model_class, **{key: data[key]}))

    @admin_op(f"change {label}", SUPERUSER, f"{label} change")
    def _change(world: World, role: str) -> Call:
        row = build()
        data = form(row) | changed
        done = exists(model_class, pk=row.pk, **changed)
        return Call("post", url(f"{app_model}_change", row.pk), data, done)

    @admin_op(f"delete {label}", SUPERUSER, f"{label} delete")
    def _delete(world: World, role: str) -> Call:
        row = build()
        delete = url(f"{app_model}_delete", row.pk)
        return Call("post", delete, {"post": "yes"}, gone(model_class, row.pk))

    @admin_op(f"bulk-delete {label}", SUPERUSER, f"{label} action delete_selected")
    def _bulk_delete(world: World, role: str) -> Call:
        row = build()
        changelist = url(f"{app_model}_changelist")
        return Call("post", changelist, bulk_delete(row), gone(model_class, row.pk))


_MODELS: dict[str, type[Model]] = {
    "initiatives.Agency": Agency,
    "initiatives.Source": Source,
    "initiatives.Tag": Tag,
    "initiatives.Membership": Membership,
    "auth.Group": Group,
    "auth.User": User,
}

reference_data_operations(
    "initiatives.Agency",
    AgencyFactory,
    lambda world: {"short_name": "NEWA", "name": "New agency", "slug": "newa", "kind": "ministry"},
    lambda agency: {
        "name": agency.name,
        "name_zh": "",
        "short_name": agency.short_name,
        "slug": agency.slug,
        "kind": agency.kind,
        "parent": "",
        "website": "",
    },
    {"contact_email": "office@example.org"},
)
reference_data_operations(
    "initiatives.Source",
    SourceFactory,
    lambda world: {
        "title": "New report",
        "kind": "news_report",
        "publisher": "People's Daily",
        "published_on": "2023-03-02",
    },
    lambda source: {
        "kind": source.kind,
        "publisher": source.publisher,
        "url": "",
        "published_on": iso(source.published_on),
        "description": "",
    },
    {"title": "Renamed report"},
)
reference_data_operations(
    "initiatives.Tag",
    lambda: Tag.objects.create(name="5G", slug="5g"),
    lambda world: {"slug": "computing-power", "name": "Computing power"},
    lambda tag: {"slug": tag.slug},
    {"name": "Fifth generation"},
)
reference_data_operations(
    "initiatives.Membership",
    lambda: MembershipFactory(role="viewer"),
    lambda world: {"user": UserFactory().pk, "agency": world.elsewhere.pk, "role": "viewer"},
    lambda membership: {"user": membership.user_id, "agency": membership.agency_id},
    {"role": "manager"},
)
reference_data_operations(
    "auth.Group",
    lambda: Group.objects.create(name="Reviewers"),
    lambda world: {"name": "Auditors"},
    lambda group: {"permissions": []},
    {"name": "Delivery office"},
)
reference_data_operations(
    "auth.User",
    UserFactory,
    lambda world: {
        "username": "newcomer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "usable_password": "true",
    },
    lambda user: {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "09:00:00",
    },
    {"email": "changed@example.org"},
)


@admin_op("set a user's password", SUPERUSER, "auth.User password")
def _(world: World, role: str) -> Call:
    user = UserFactory()
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    def done(_: HttpResponse) -> bool:
        return User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)

    return Call("post", url("auth_user_password_change", user.pk), data, done)


@operation("admin: change one's own password", "admin", STAFF, "admin site password_change", 302)
def _(world: World, role: str) -> Call:
    me = world.users.get(role)
    data = {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }

    def changed(_: HttpResponse) -> bool:
        return me is not None and User.objects.get(pk=me.pk).check_password(NEW_PASSWORD)

    return Call("post", reverse("admin:password_change"), data, changed)


# --- The admin: tokens and the reminder ledger -------------------------------------------------
@admin_op("issue API token", SUPERUSER, "initiatives.AccessToken add")
def _(world: World, role: str) -> Call:
    owner = UserFactory()
    data = {"user": owner.pk, "name": "dashboard", "scope": "api", "expires_in_days": ""}
    return Call("post", url("initiatives_accesstoken_add"), data, exists(AccessToken, user=owner))


def some_token() -> AccessToken:
    row, _token = token_issue(user=UserFactory(), name="dashboard")
    return row


@admin_op("edit API token", NOBODY, "initiatives.AccessToken change")
def _(world: World, role: str) -> Call:
    row = some_token()
    change = url("initiatives_accesstoken_change", row.pk)
    data = {"name": "renamed", "scope": "api"}
    return Call("post", change, data, exists(AccessToken, pk=row.pk, name="renamed"))


@admin_op("delete API token", NOBODY, "initiatives.AccessToken delete")
def _(world: World, role: str) -> Call:
    row = some_token()
    delete = url("initiatives_accesstoken_delete", row.pk)
    return Call("post", delete, {"post": "yes"}, gone(AccessToken, row.pk))


@admin_op("bulk-delete API tokens", NOBODY, "initiatives.AccessToken action delete_selected")
def _(world: World, role: str) -> Call:
    row = some_token()
    changelist = url("initiatives_accesstoken_changelist")
    return Call("post", changelist, bulk_delete(row), gone(AccessToken, row.pk))


@admin_op("revoke API tokens", SUPERUSER, "initiatives.AccessToken action revoke")
def _(world: World, role: str) -> Call:
    row = some_token()
    changelist = url("initiatives_accesstoken_changelist")
    done = exists(AccessToken, pk=row.pk, revoked_at__isnull=False)
    return Call("post", changelist, action("revoke", row), done)


def failed_reminder(world: World) -> Reminder:
    return Reminder.objects.create(
        milestone=MilestoneFactory(initiative=lead_initiative(world)),
        recipient="office@example.org",
        slot="due",
        due_date=datetime.date(2030, 6, 30),
        level=Reminder.Level.WARNING,
        planned_on=datetime.date(2030, 6, 30),
        status=Reminder.Status.FAILED,
        attempts=5,
        last_error="451 Try again later",
    )


@admin_op("add reminder by hand", NOBODY, "tracker.Reminder add")
def _(world: World, role: str) -> Call:
    milestone = MilestoneFactory(initiative=lead_initiative(world))
    data = {
        "milestone": milestone.pk,
        "recipient": "office@example.org",
        "slot": "due",
        "due_date": "2030-06-30",
        "level": "warning",
        "planned_on": "2030-06-30",
        "status": "pending",
        "attempts": 0,
    }
    return Call("post", url("tracker_reminder_add"), data, exists(Reminder, milestone=milestone))


@admin_op("edit reminder", NOBODY, "tracker.Reminder change")
def _(world: World, role: str) -> Call:
    reminder = failed_reminder(world)
    change = url("tracker_reminder_change", reminder.pk)
    data = {"recipient": "else@example.org", "status": "sent"}
    return Call("post", change, data, exists(Reminder, pk=reminder.pk, status="sent"))


@admin_op("delete reminder", NOBODY, "tracker.Reminder delete")
def _(world: World, role: str) -> Call:
    reminder = failed_reminder(world)
    delete = url("tracker_reminder_delete", reminder.pk)
    return Call("post", delete, {"post": "yes"}, gone(Reminder, reminder.pk))


@admin_op("bulk-delete reminders", NOBODY, "tracker.Reminder action delete_selected")
def _(world: World, role: str) -> Call:
    reminder = failed_reminder(world)
    changelist = url("tracker_reminder_changelist")
    return Call("post", changelist, bulk_delete(reminder), gone(Reminder, reminder.pk))


@admin_op("retry failed reminders", SUPERUSER, "tracker.Reminder action retry_failed")
def _(world: World, role: str) -> Call:
    reminder = failed_reminder(world)
    changelist = url("tracker_reminder_changelist")
    done = exists(Reminder, pk=reminder.pk, status="pending", attempts=0)
    return Call("post", changelist, action("retry_failed", reminder), done)


def sweep() -> ReminderSweep:
    return ReminderSweep.objects.create(planned_on=datetime.date(2030, 6, 28), planned=3)


@admin_op("add sweep record by hand", NOBODY, "tracker.ReminderSweep add")
def _(world: World, role: str) -> Call:
    data = {"planned_on": "2030-06-27", "started_at_0": "2030-06-27", "started_at_1": "09:00"}
    add = url("tracker_remindersweep_add")
    return Call("post", add, data, exists(ReminderSweep, planned_on=datetime.date(2030, 6, 27)))


@admin_op("edit sweep record", NOBODY, "tracker.ReminderSweep change")
def _(world: World, role: str) -> Call:
    row = sweep()
    data = {"planned_on": "2030-06-28", "planned": 99}
    change = url("tracker_remindersweep_change", row.pk)
    return Call("post", change, data, exists(ReminderSweep, pk=row.pk, planned=99))


@admin_op("delete sweep record", SUPERUSER, "tracker.ReminderSweep delete")
def _(world: World, role: str) -> Call:
    row = sweep()
    delete = url("tracker_remindersweep_delete", row.pk)
    return Call("post", delete, {"post": "yes"}, gone(ReminderSweep, row.pk))


@admin_op("bulk-delete sweep records", SUPERUSER, "tracker.ReminderSweep action delete_selected")
def _(world: World, role: str) -> Call:
    row = sweep()
    changelist = url("tracker_remindersweep_changelist")
    return Call("post", changelist, bulk_delete(row), gone(ReminderSweep, row.pk))


# --- The admin: django-axes' sign-in records ----------------------------------------------------
AXES_MODELS: dict[str, type[Model]] = {
    "axes.AccessAttempt": AccessAttempt,
    "axes.AccessLog": AccessLog,
    "axes.AccessFailureLog": AccessFailureLog,
}


def sign_in_record(model: type[Model], *, days_old: int = 0) -> Any:
    fields: dict[str, Any] = {
        "username": "someone",
        "ip_address": "192.0.2.1",
        "user_agent": "browser",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    if model is AccessAttempt:
        fields |= {"get_data": "", "post_data": "", "failures_since_start": 1}
    row = model._base_manager.create(**fields)
    if days_old:
        attempt_time = timezone.now() - datetime.timedelta(days=days_old)
        model._base_manager.filter(pk=row.pk).update(attempt_time=attempt_time)
    return row


def axes_operations(label: str, model: type[Model]) -> None:
    app_model = label.lower().replace(".", "_")

    @admin_op(f"add {label} by hand", NOBODY, f"{label} add")
    def _add(world: World, role: str) -> Call:
        data = {"username": "forged", "path_info": "/admin/login/"}
        return Call("post", url(f"{app_model}_add"), data, exists(model, username="forged"))

    # Every field is read-only: a superuser's save stores what was there.
    @admin_op(f"edit {label}", NOBODY, f"{label} change")
    def _change(world: World, role: str) -> Call:
        row = sign_in_record(model)
        data = {"username": "forged", "path_info": "/elsewhere/"}
        return Call(
            "post", url(f"{app_model}_change", row.pk), data, exists(model, username="forged")
        )

    @admin_op(f"delete {label}", SUPERUSER, f"{label} delete")
    def _delete(world: World, role: str) -> Call:
        row = sign_in_record(model)
        delete = url(f"{app_model}_delete", row.pk)
        return Call("post", delete, {"post": "yes"}, gone(model, row.pk))

    @admin_op(f"bulk-delete {label}", SUPERUSER, f"{label} action delete_selected")
    def _bulk_delete(world: World, role: str) -> Call:
        row = sign_in_record(model)
        changelist = url(f"{app_model}_changelist")
        return Call("post", changelist, bulk_delete(row), gone(model, row.pk))


for _label, _model in AXES_MODELS.items():
    axes_operations(_label, _model)


@admin_op(
    "clean up expired sign-in attempts",
    SUPERUSER,
    "axes.AccessAttempt action cleanup_expired_attempts",
)
def _(world: World, role: str) -> Call:
    old = sign_in_record(AccessAttempt, days_old=30)
    changelist = url("axes_accessattempt_changelist")
    data = action("cleanup_expired_attempts", old)
    return Call("post", changelist, data, gone(AccessAttempt, old.pk))


# --- The test ------------------------------------------------------------------------------------
@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)


@pytest.fixture
def world(db: None) -> World:
    """The lead agency, another one, and one user per role (staff where the role says so).

    Built with a handful of queries: the table runs a thousand cases, each with its own world.
    """
    lead, elsewhere = Agency.objects.bulk_create(
        Agency(name=name, short_name=short, slug=short.lower(), contact_email=f"{short}@gov.cn")
        for name, short in [("Industry and IT", "MIIT"), ("Development and Reform", "NDRC")]
    )
    users = {
        role: User(
            username=role,
            email=f"{role}@example.org",
            password=password_hash(),
            is_staff=role in STAFF,
            is_superuser=role == "superuser",
        )
        for role in SIGNED_IN
    }
    User.objects.bulk_create(users.values())
    Membership.objects.bulk_create(
        Membership(user=users[role], agency=agency, role=membership)
        for role, agency, membership in [
            ("viewer", lead, "viewer"),
            ("editor_elsewhere", elsewhere, "editor"),
            ("editor", lead, "editor"),
            ("manager", lead, "manager"),
            ("editor_not_staff", lead, "editor"),
            ("viewer_here_editor_elsewhere", lead, "viewer"),
            ("viewer_here_editor_elsewhere", elsewhere, "editor"),
        ]
    )
    return World(lead=lead, elsewhere=elsewhere, users=users)


@pytest.fixture(scope="module")
def documented_statuses() -> dict[tuple[str, str], set[str]]:
    """(method, path template) -> the status codes the OpenAPI schema documents."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path): set(operation["responses"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def client_for(world: World, role: str, surface: str) -> APIClient | Client:
    if surface == "api":
        return world.client(role)
    client = Client()
    if role != "anonymous":
        # What Client.force_login stores, without the sign-in signals (last_login, axes' log),
        # which are not under test and would triple the cost of a case.
        user = world.users[role]
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


# Tables a write may change without a history row of their own, and what records it instead.
RECORDED_OTHERWISE = {
    # The timeline is append-only and each entry names its author.
    "initiatives.ProgressUpdate": "itself",
    # Tags are set with the initiative, whose own history row (the version moves) has the actor.
    "initiatives.Initiative_tags": "initiatives.Initiative",
    # The ledger says what was planned and sent; who asked for a send or a retry is in the
    # admin's log.
    "tracker.Reminder": "admin log",
    "tracker.ReminderSweep": "admin log",
    # Users, groups and their permissions are changed in the admin only, which logs each change.
    "auth.User": "admin log",
    "auth.Group": "admin log",
    "auth.User_groups": "admin log",
    "auth.User_user_permissions": "admin log",
    "auth.Group_permissions": "admin log",
    # django-axes' records are the sign-in throttle's own bookkeeping of attempts.
    "axes.AccessAttempt": "itself",
    "axes.AccessFailureLog": "itself",
    "axes.AccessLog": "itself",
}


def assert_audited(changed: list[str], actor: Any, started: datetime.datetime) -> None:
    """Every table an accepted write changed has history rows of the change with the actor,
    or is recorded otherwise (RECORDED_OTHERWISE) and is recorded there."""
    for label in changed:
        model = apps.get_model(label)
        if getattr(model, "instance_type", None) is not None:  # a history table itself
            continue
        history = getattr(model._meta, "simple_history_manager_attribute", None)
        if history is not None:
            added = getattr(model, history).filter(history_date__gte=started)
            assert added.exists(), f"no history row for {label}"
            assert {row.history_user_id for row in added} == {actor.pk}, label
            continue
        record = RECORDED_OTHERWISE.get(label)
        assert record is not None, f"{label} changed and keeps no audit history"
        if record == "admin log":
            assert LogEntry.objects.filter(user=actor, action_time__gte=started).exists(), label
        elif record != "itself":
            assert record in changed, f"{label} changed without {record}"


def last_history_id(model: Any) -> int:
    latest = model.history.order_by("-history_id").first()
    return latest.history_id if latest else 0


@pytest.mark.parametrize("role", MATRIX_ROLES)
@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_write_matrix(
    world: World, name: str, role: str, documented_statuses: dict[tuple[str, str], set[str]]
) -> None:
    # given
    operation = OPERATIONS[name]
    actor = world.users.get(role)
    client = client_for(world, role, operation.surface)  # before prepare: signing in writes
    call = operation.prepare(world, role)
    history_marks = {model: last_history_id(model) for model in call.tracked}
    before = database_state()
    started = timezone.now()
    # when
    if operation.surface == "api":
        response = getattr(client, call.method)(call.url, call.data, format="json")
    else:
        response = getattr(client, call.method)(call.url, call.data)
    # then
    if role in operation.allowed:
        assert actor is not None  # nothing is open to anonymous callers
        assert response.status_code == operation.status, response.content[:2000]
        assert call.done(response), f"{name} answered {response.status_code} but did nothing"
        for model, mark in history_marks.items():
            added = model.history.filter(history_id__gt=mark)
            assert added.exists(), f"no history row for {model.__name__}"
            assert {row.history_user_id for row in added} == {actor.pk}, model.__name__
        changed = changed_tables(before, database_state())
        if not operation.writes:
            assert changed == []
        assert_audited(changed, actor, started)
    else:
        if operation.surface == "api":
            expected = 401 if role == "anonymous" else operation.refusal
            assert response.status_code == expected, response.content[:2000]
            if role == "anonymous":
                assert response["WWW-Authenticate"] == "Bearer"
        elif role in ("anonymous", "editor_not_staff"):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        else:
            assert response.status_code in ADMIN_REFUSALS
        assert not call.done(response)
        assert changed_tables(before, database_state()) == []
    if operation.surface == "api":
        # the answer is one the schema documents for this operation
        method, template = operation.covers.split(" ", 1)
        assert re.sub(r"/\d+/", "/{id}/", call.url) == template
        assert str(response.status_code) in documented_statuses[(method.lower(), template)]


def test_the_table_covers_every_write_path() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    api_writes = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    admin_writes = {"admin site password_change"}
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        admin_writes |= {f"admin {label} {view}" for view in ("add", "change", "delete")}
        names = {name for _func, name, _description in model_admin._get_base_actions()}
        admin_writes |= {f"admin {label} action {name}" for name in names}
        admin_writes |= {
            f"admin {label} inline {inline.model._meta.label}" for inline in model_admin.inlines
        }
        if isinstance(model_admin, SimpleHistoryAdmin):
            admin_writes.add(f"admin {label} revert")
        if isinstance(model_admin, UserAdmin):
            admin_writes.add(f"admin {label} password")
    covered = {operation.covers for operation in OPERATIONS.values()}
    assert api_writes | admin_writes == covered


# --- Beyond the table: what a caller could try with data of their own choosing ---------------
def test_the_history_form_is_no_way_round_the_right_to_change(world: World) -> None:
    """A revert is a change: the user who may only view the lead's work cannot use the revert
    form to rewrite it, not even to move it into an agency they edit."""
    # given a viewer of the lead agency who edits another agency
    client = client_for(world, "viewer_here_editor_elsewhere", "admin")
    initiative = lead_initiative(world, title="As announced")
    first, _version = with_earlier_version(initiative, "title", "Renamed since")
    milestone = MilestoneFactory(initiative=initiative, title="As announced")
    first_milestone, _version = with_earlier_version(milestone, "title", "Renamed since")
    own = InitiativeFactory(owner_agency=world.elsewhere)
    before = database_state()
    # when they post the revert forms with the other agency as lead, their initiative as parent
    revert = url("initiatives_initiative_simple_history", initiative.pk, first.history_id)
    data = initiative_form(initiative, title="Taken", owner_agency=world.elsewhere.pk)
    initiative_answer = client.post(revert, data)
    revert = url("initiatives_milestone_simple_history", milestone.pk, first_milestone.history_id)
    data = milestone_form(milestone, initiative=own.pk, title="Taken")
    milestone_answer = client.post(revert, data)
    # then both are refused and nothing changed
    assert (initiative_answer.status_code, milestone_answer.status_code) == (403, 403)
    assert changed_tables(before, database_state()) == []
