"""No partial writes: a request, an admin save or a service that fails half-way leaves the
database exactly as it was.

Each test compares every table (rows, versions and audit history) before and after. Failures
come in three kinds: input that one field spoils while the others are fine, a change that breaks
a rule only once it is combined with the rest of the request, and the database itself refusing
the second of several writes (a trigger raises, as a constraint or a lost connection would).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection
from django.db.models import Field, Model
from django.test import Client
from django.urls import reverse

from initiatives import services
from initiatives.models import (
    Initiative,
    InitiativeAgency,
    Milestone,
    ProgressUpdate,
)
from tests.admin_forms import initiative_form, inline_rows, milestone_form
from tests.db_state import changed_tables, database_state
from tests.factories import (
    AgencyFactory,
    InitiativeAgencyFactory,
    InitiativeFactory,
    MilestoneFactory,
)
from tests.initiatives.api.conftest import World, make_world

FAR_FUTURE = "2099-01-01"  # a start date no completion today can follow
TRIGGER_NUMBERS = itertools.count()

Refuse = Callable[[type[Model], str, str, Any], None]


@pytest.fixture
def world(db: None) -> World:
    world = make_world()
    world.users["editor"].is_staff = True  # the admin's door
    world.users["editor"].save(update_fields=["is_staff"])
    return world


@pytest.fixture
def editor_admin(world: World) -> Client:
    client = Client()
    client.force_login(world.users["editor"])  # before any snapshot: signing in writes
    return client


@pytest.fixture
def refuse(db: None) -> Refuse:
    """``refuse(Model, "INSERT" or "UPDATE", field, value)``: from now on, the database refuses
    to write a row of ``Model`` whose ``field`` is ``value``, with an integrity error.

    A trigger, created inside the test's transaction, so it goes when the test ends.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION test_refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'refused by a test trigger' "
                "USING ERRCODE = 'integrity_constraint_violation'; END $$"
            )

    def install(model: type[Model], event: str, field: str, value: Any) -> None:
        assert event in ("INSERT", "UPDATE")
        quote = connection.ops.quote_name
        name = f"test_refuse_{next(TRIGGER_NUMBERS)}"
        table = quote(model._meta.db_table)
        model_field = model._meta.get_field(field)
        assert isinstance(model_field, Field)
        column = quote(model_field.column)
        literal = (
            str(int(value)) if isinstance(value, int) else "'{}'".format(value.replace("'", "''"))
        )
        condition = f"(NEW.{column} = {literal})"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                    f"WHEN {condition} EXECUTE FUNCTION test_refuse_row()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                    f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )

    return install


def initiative_url(initiative: Initiative, *rest: str) -> str:
    return "/".join([f"/api/v1/initiatives/{initiative.pk}", *rest, ""])


# --- The API: one bad part spoils the whole request --------------------------------------------
@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([{"agency": 999999, "role": "co_lead"}], "supporting_agencies"),
        ([{"agency": "lead", "role": "co_lead"}], "lead agency cannot also be a supporting"),
        (
            [
                {"agency": "elsewhere", "role": "co_lead"},
                {"agency": "elsewhere", "role": "co_lead"},
            ],
            "Name each supporting agency once",
        ),
        ([{"agency": "elsewhere", "role": "boss"}], "supporting_agencies"),
    ],
)
def test_creating_an_initiative_with_one_bad_supporting_agency_creates_nothing(
    world: World, roles: list[dict[str, Any]], message: str
) -> None:
    # given a request whose own fields are all valid
    agencies = {"lead": world.lead.pk, "elsewhere": world.elsewhere.pk}
    for role in roles:
        role["agency"] = agencies.get(role["agency"], role["agency"])
    body = {
        "title": "Computing power plan",
        "slug": "computing-power-plan",
        "owner_agency": world.lead.pk,
        "confidence": "amber",
        "supporting_agencies": roles,
    }
    client = world.client("editor")
    before = database_state()
    # when
    response = client.post("/api/v1/initiatives/", body, format="json")
    # then: no initiative, no supporting agency, no history row
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert changed_tables(before, database_state()) == []


# Each change is valid but for one field; the builders take (world, initiative).
BAD_CHANGES: dict[str, tuple[Callable[[World, Initiative], dict[str, Any]], str]] = {
    "progress out of range": (lambda w, i: {"title": "Renamed", "progress": 150}, "progress"),
    "completed without a date": (
        lambda w, i: {"confidence": "red", "status": "completed"},
        "completed_on",
    ),
    "lead also supporting": (
        lambda w, i: {
            "title": "Renamed",
            "supporting_agencies": [{"agency": w.lead.pk, "role": "co_lead"}],
        },
        "supporting_agencies",
    ),
    "unknown tag": (lambda w, i: {"notes": "Replanned", "tags": ["no-such-tag"]}, "tags"),
    "start after target": (
        lambda w, i: {"title": "Renamed", "start_date": "2031-01-01", "target_date": "2030-01-01"},
        "start_date",
    ),
    "own parent": (lambda w, i: {"theme": "5G", "parent": i.pk}, "parent"),
    "successor without the status": (
        lambda w, i: {"summary": "Replanned", "superseded_by": InitiativeFactory().pk},
        "superseded_by",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CHANGES))
def test_a_change_with_one_bad_field_changes_nothing(world: World, case: str) -> None:
    # given an initiative with a supporting agency, and a change that is valid but for one field
    initiative = InitiativeFactory(owner_agency=world.lead, title="As announced")
    InitiativeAgencyFactory(initiative=initiative, agency=world.elsewhere)
    build, message = BAD_CHANGES[case]
    body = build(world, initiative)
    client = world.client("editor")
    before = database_state()
    # when
    response = client.patch(initiative_url(initiative), body, format="json")
    # then nothing changed: not the good fields, not the version, not the supporting agencies
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_a_milestone_change_with_one_bad_field_changes_nothing(world: World) -> None:
    # given a milestone; the change renames it and moves its date without saying why
    milestone = MilestoneFactory(initiative=InitiativeFactory(owner_agency=world.lead))
    client = world.client("editor")
    before = database_state()
    # when
    response = client.patch(
        f"/api/v1/milestones/{milestone.pk}/",
        {"title": "Renamed", "owner": world.users["editor"].pk, "due_date": "2031-01-01"},
        format="json",
    )
    # then
    assert response.status_code == 400, response.content
    assert "due_date_reason" in response.content.decode()
    assert changed_tables(before, database_state()) == []


@pytest.mark.parametrize(
    ("endpoint", "update", "message"),
    [
        # completed today, but the initiative starts later
        (
            "timeline",
            {"body": "Delivered", "status": "completed", "confidence": "green"},
            "start_date",
        ),
        ("collection", {"body": "Delivered", "status": "completed", "progress": 100}, "start_date"),
        # superseded by itself
        (
            "timeline",
            {"body": "Replaced", "status": "superseded", "progress": 100},
            "superseded_by",
        ),
    ],
)
def test_an_update_that_would_break_an_initiative_rule_posts_nothing(
    world: World, endpoint: str, update: dict[str, Any], message: str
) -> None:
    # given an initiative that starts in the far future
    initiative = InitiativeFactory(
        owner_agency=world.lead, status="in_progress", start_date=datetime.date(2099, 1, 1)
    )
    if update["status"] == "superseded":
        update = update | {"superseded_by": initiative.pk}
    client = world.client("editor")
    before = database_state()
    # when it is posted on the initiative's timeline, or to the collection of updates
    if endpoint == "timeline":
        response = client.post(initiative_url(initiative, "updates"), update, format="json")
    else:
        body = update | {"initiative": initiative.pk}
        response = client.post("/api/v1/updates/", body, format="json")
    # then: no timeline entry, and the initiative (status, confidence, version, history) as it was
    assert response.status_code == 400, response.content
    assert message in response.content.decode()
    assert changed_tables(before, database_state()) == []


# --- The API and the services: the database refuses a later write ------------------------------
def test_a_refused_supporting_agency_rolls_back_the_created_initiative(
    world: World, refuse: Refuse
) -> None:
    # given the database will refuse the second of the supporting agencies
    third = AgencyFactory()
    refuse(InitiativeAgency, "INSERT", "agency", third.pk)
    body = {
        "title": "Computing power plan",
        "slug": "computing-power-plan",
        "owner_agency": world.lead.pk,
        "supporting_agencies": [
            {"agency": world.elsewhere.pk, "role": "co_lead"},
            {"agency": third.pk, "role": "participating"},
        ],
    }
    client = world.client("editor")
    before = database_state()
    # when
    with pytest.raises(IntegrityError):
        client.post("/api/v1/initiatives/", body, format="json")
    # then neither the initiative nor the first supporting agency stayed
    assert changed_tables(before, database_state()) == []


def test_a_refused_supporting_agency_rolls_back_the_whole_change(
    world: World, refuse: Refuse
) -> None:
    # given an initiative with two supporting agencies; the change renames it, drops one,
    # changes the other's role and adds a third, which the database refuses
    initiative = InitiativeFactory(owner_agency=world.lead, title="As announced")
    kept, dropped, refused = AgencyFactory(), AgencyFactory(), AgencyFactory()
    InitiativeAgencyFactory(initiative=initiative, agency=kept, role="participating")
    InitiativeAgencyFactory(initiative=initiative, agency=dropped, role="participating")
    refuse(InitiativeAgency, "INSERT", "agency", refused.pk)
    body = {
        "title": "Renamed",
        "supporting_agencies": [
            {"agency": kept.pk, "role": "co_lead"},
            {"agency": refused.pk, "role": "supervising"},
        ],
    }
    client = world.client("editor")
    before = database_state()
    # when
    with pytest.raises(IntegrityError):
        client.patch(initiative_url(initiative), body, format="json")
    # then the title, the version, the dropped and the re-roled agency are as they were
    assert changed_tables(before, database_state()) == []


def test_a_refused_timeline_entry_rolls_back_the_change_it_made(
    world: World, refuse: Refuse
) -> None:
    # given the database refuses the timeline row, which is written after the initiative
    initiative = InitiativeFactory(owner_agency=world.lead)
    refuse(ProgressUpdate, "INSERT", "body", "Supplier risk")
    client = world.client("editor")
    before = database_state()
    # when
    with pytest.raises(IntegrityError):
        client.post(
            initiative_url(initiative, "updates"),
            {"body": "Supplier risk", "confidence": "amber", "progress": 30},
            format="json",
        )
    # then the initiative kept its confidence, progress, version and history
    assert changed_tables(before, database_state()) == []


def test_the_update_service_is_one_transaction(world: World, refuse: Refuse) -> None:
    # given
    initiative = InitiativeFactory(owner_agency=world.lead, status="in_progress")
    refuse(ProgressUpdate, "INSERT", "body", "Delivered")
    before = database_state()
    # when the initiative is saved completed, then the timeline row is refused
    with pytest.raises(IntegrityError):
        services.progress_update_post(
            initiative=initiative,
            author=world.users["editor"],
            body="Delivered",
            status="completed",
        )
    # then
    assert changed_tables(before, database_state()) == []


def test_replacing_supporting_agencies_is_one_transaction(world: World, refuse: Refuse) -> None:
    # given
    initiative = InitiativeFactory(owner_agency=world.lead)
    kept, dropped, added, refused = (AgencyFactory() for _ in range(4))
    InitiativeAgencyFactory(initiative=initiative, agency=kept, role="participating")
    InitiativeAgencyFactory(initiative=initiative, agency=dropped, role="participating")
    refuse(InitiativeAgency, "INSERT", "agency", refused.pk)
    before = database_state()
    # when the role changes, the drop and the first addition are written, then one is refused
    with pytest.raises(IntegrityError):
        services.initiative_set_supporting_agencies(
            initiative=initiative,
            roles=[
                {"agency": kept, "role": "co_lead"},
                {"agency": added, "role": "participating"},
                {"agency": refused, "role": "supervising"},
            ],
        )
    # then
    assert changed_tables(before, database_state()) == []


# --- The admin's change form: the main form and its inlines save together, or not at all -------
def change_url(initiative: Initiative) -> str:
    return reverse("admin:initiatives_initiative_change", args=[initiative.pk])


def test_one_bad_inline_row_saves_nothing_of_the_form(world: World, editor_admin: Client) -> None:
    # given a valid main form (renamed), a valid new milestone, a valid supporting agency, and a
    # second milestone marked done without a completion date
    initiative = InitiativeFactory(owner_agency=world.lead, title="As announced")
    good = Milestone(initiative=initiative, title="Pilot", due_date=datetime.date(2031, 1, 1))
    bad = Milestone(initiative=initiative, title="Rollout", status="done")
    data = initiative_form(initiative, title="Renamed", confidence="amber")
    data |= inline_rows("milestones", milestone_form(good), milestone_form(bad))
    data |= inline_rows("agency_roles", {"agency": world.elsewhere.pk, "role": "co_lead"})
    before = database_state()
    # when
    response = editor_admin.post(change_url(initiative), data)
    # then the form says why, and neither the initiative nor any inline row was saved
    assert response.status_code == 200
    assert "completed_on is set exactly when status is done" in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_moving_a_stored_milestone_without_a_reason_saves_nothing_of_the_form(
    world: World, editor_admin: Client
) -> None:
    # given a stored milestone whose row moves its date without a reason, and a new valid one
    initiative = InitiativeFactory(owner_agency=world.lead, title="As announced")
    stored = MilestoneFactory(initiative=initiative, due_date=datetime.date(2030, 6, 30))
    new = Milestone(initiative=initiative, title="Pilot", due_date=datetime.date(2031, 1, 1))
    moved = milestone_form(stored, due_date="2030-12-31") | {"id": stored.pk}
    data = initiative_form(initiative, title="Renamed")
    data |= inline_rows("milestones", moved, milestone_form(new), initial=1)
    before = database_state()
    # when
    response = editor_admin.post(change_url(initiative), data)
    # then
    assert response.status_code == 200
    assert "Say why the due date moves" in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_an_update_that_breaks_a_rule_with_the_forms_new_values_saves_nothing(
    world: World, editor_admin: Client
) -> None:
    # given a main form that moves the start to the far future (valid on its own) and a new
    # timeline entry that completes the initiative today (valid against the stored row)
    initiative = InitiativeFactory(owner_agency=world.lead, status="in_progress")
    data = initiative_form(initiative, start_date=FAR_FUTURE)
    data |= inline_rows("updates", {"body": "Delivered", "status": "completed"})
    before = database_state()
    # when
    response = editor_admin.post(change_url(initiative), data)
    # then the form says why (no error page), and nothing was saved
    assert response.status_code == 200
    assert "start_date must not be after completed_on" in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_a_new_initiative_with_an_update_that_breaks_a_rule_is_not_added(
    world: World, editor_admin: Client
) -> None:
    # given the add form of a valid initiative, with a first timeline entry setting "superseded"
    # (which needs a successor the entry cannot give)
    new = Initiative(title="Pilot zones", slug="pilot-zones", owner_agency=world.lead)
    data = initiative_form(new) | inline_rows(
        "updates", {"body": "Replaced", "status": "superseded"}
    )
    before = database_state()
    # when
    response = editor_admin.post(reverse("admin:initiatives_initiative_add"), data)
    # then
    assert response.status_code == 200
    assert "superseded_by is set exactly when status is superseded" in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_posting_an_update_that_breaks_a_rule_on_its_own_page_saves_nothing(
    world: World, editor_admin: Client
) -> None:
    # given an initiative that starts in the far future
    initiative = InitiativeFactory(
        owner_agency=world.lead, status="in_progress", start_date=datetime.date(2099, 1, 1)
    )
    data = {"initiative": initiative.pk, "body": "Delivered", "status": "completed"}
    before = database_state()
    # when the update would complete it today
    response = editor_admin.post(
        reverse("admin:initiatives_progressupdate_add"),
        data | {"confidence": "", "progress": ""},
    )
    # then
    assert response.status_code == 200
    assert "start_date must not be after completed_on" in response.content.decode()
    assert changed_tables(before, database_state()) == []


def test_a_refused_inline_row_rolls_back_the_main_form(
    world: World, editor_admin: Client, refuse: Refuse
) -> None:
    # given a renamed initiative with two new milestones, the second of which the database refuses
    initiative = InitiativeFactory(owner_agency=world.lead, title="As announced")
    refuse(Milestone, "INSERT", "title", "Rollout")
    rows = [
        milestone_form(Milestone(initiative=initiative, title=title, due_date=due))
        for title, due in [("Pilot", datetime.date(2031, 1, 1)), ("Rollout", None)]
    ]
    data = initiative_form(initiative, title="Renamed") | inline_rows("milestones", *rows)
    before = database_state()
    # when
    with pytest.raises(IntegrityError):
        editor_admin.post(change_url(initiative), data)
    # then
    assert changed_tables(before, database_state()) == []


# --- The admin's bulk actions: all the selected rows change, or none -----------------------------
def two_milestones(world: World) -> tuple[Milestone, Milestone]:
    """Two open milestones of the editor's agency, the second one handled last."""
    initiative = InitiativeFactory(owner_agency=world.lead)
    first = MilestoneFactory(initiative=initiative, due_date=datetime.date(2030, 1, 31))
    second = MilestoneFactory(initiative=initiative, due_date=datetime.date(2030, 2, 28))
    return first, second


BULK_ACTIONS = {
    "move_due_date": {"apply": "1", "due_date": "2030-09-30", "reason": "Tender re-run"},
    "mark_done": {},
}


def bulk(client: Client, name: str, *milestones: Milestone) -> Any:
    return client.post(
        reverse("admin:initiatives_milestone_changelist"),
        {"action": name, "_selected_action": [m.pk for m in milestones], **BULK_ACTIONS[name]},
    )


@pytest.mark.parametrize("name", sorted(BULK_ACTIONS))
def test_a_bulk_action_that_cannot_change_one_row_changes_none(
    world: World, editor_admin: Client, name: str
) -> None:
    # given the second milestone was stored without a title (a raw load: the rules refuse it)
    first, second = two_milestones(world)
    Milestone.objects.filter(pk=second.pk).update(title="")
    before = database_state()
    # when
    response = bulk(editor_admin, name, first, second)
    # then the admin says which one failed, and neither changed
    assert response.status_code == 302
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert errors
    assert "title" in errors[0]
    assert changed_tables(before, database_state()) == []


@pytest.mark.parametrize("name", sorted(BULK_ACTIONS))
def test_a_bulk_action_the_database_refuses_half_way_changes_nothing(
    world: World, editor_admin: Client, refuse: Refuse, name: str
) -> None:
    # given the database refuses to update the second milestone
    first, second = two_milestones(world)
    refuse(Milestone, "UPDATE", "id", second.pk)
    before = database_state()
    # when
    with pytest.raises(IntegrityError):
        bulk(editor_admin, name, first, second)
    # then the first one, changed before, is back as it was
    assert changed_tables(before, database_state()) == []
