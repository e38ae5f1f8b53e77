"""State changes go through services: rules applied, history written, nothing half-done."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from initiatives import services
from initiatives.models import Initiative, Milestone, ProgressUpdate, Tag
from tests.factories import AgencyFactory, InitiativeFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_first_due_date_becomes_the_baseline() -> None:
    actor = UserFactory()
    milestone = services.milestone_create(
        initiative=InitiativeFactory(), title="Pilot", due_date=D(2030, 6, 30), actor=actor
    )
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.baseline_due_date) == (D(2030, 6, 30), D(2030, 6, 30))
    assert milestone.history.get().history_user == actor


def test_a_dateless_milestone_gets_its_baseline_when_first_dated() -> None:
    milestone = services.milestone_create(initiative=InitiativeFactory(), title="Pilot", actor=None)
    services.milestone_move_due_date(
        milestone=milestone, due_date=D(2030, 1, 1), reason="", actor=None
    )
    milestone.refresh_from_db()
    assert milestone.baseline_due_date == D(2030, 1, 1)
    assert milestone.due_date_reason == ""


def test_moving_the_due_date_needs_a_reason_and_keeps_the_baseline() -> None:
    # given
    actor = UserFactory()
    milestone = MilestoneFactory(due_date=D(2030, 6, 30))
    # when a move without a reason is refused
    with pytest.raises(ValidationError) as error:
        services.milestone_move_due_date(
            milestone=milestone, due_date=D(2030, 9, 30), reason=" ", actor=actor
        )
    assert "due_date_reason" in error.value.message_dict
    milestone.refresh_from_db()
    assert milestone.due_date == D(2030, 6, 30)
    # and a move with one is kept with its reason
    services.milestone_move_due_date(
        milestone=milestone, due_date=D(2030, 9, 30), reason="Supplier delay", actor=actor
    )
    # then
    milestone.refresh_from_db()
    assert milestone.baseline_due_date == D(2030, 6, 30)
    assert milestone.due_date_reason == "Supplier delay"
    assert milestone.days_slipped == 92
    latest = milestone.history.first()
    assert (latest.history_change_reason, latest.history_user) == ("Supplier delay", actor)


def test_moving_back_to_the_baseline_clears_the_reason() -> None:
    milestone = MilestoneFactory(due_date=D(2030, 6, 30))
    services.milestone_move_due_date(
        milestone=milestone, due_date=D(2030, 9, 30), reason="Late", actor=None
    )
    services.milestone_move_due_date(
        milestone=milestone, due_date=D(2030, 6, 30), reason="Caught up", actor=None
    )
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.due_date_reason) == (D(2030, 6, 30), "")
    assert milestone.history.first().history_change_reason == "Caught up"


def test_complete_defaults_to_today_in_time_zone(settings: Any, time_machine: Any) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    time_machine.move_to(datetime.datetime(2030, 1, 1, 17, 0, tzinfo=datetime.UTC))
    milestone = services.milestone_complete(milestone=MilestoneFactory(), actor=None)
    milestone.refresh_from_db()
    assert (milestone.status, milestone.completed_on) == ("done", D(2030, 1, 2))
    assert milestone.version == 2


def test_cancelled_milestone_cannot_be_completed() -> None:
    milestone = MilestoneFactory(status=Milestone.Status.CANCELLED)
    with pytest.raises(ValidationError):
        services.milestone_complete(milestone=milestone, actor=None)


def test_progress_update_changes_the_initiative_in_the_same_transaction() -> None:
    # given
    author = UserFactory()
    initiative = InitiativeFactory()
    # when
    services.progress_update_post(
        initiative=initiative,
        author=author,
        body="Pilot lines running",
        confidence="amber",
        progress=40,
    )
    # then
    initiative.refresh_from_db()
    assert (initiative.confidence, initiative.progress, initiative.version) == ("amber", 40, 2)
    assert initiative.history.first().history_user == author
    assert ProgressUpdate.objects.get().confidence == "amber"


def test_completing_status_dates_the_completion() -> None:
    initiative = InitiativeFactory(status="in_progress")
    services.progress_update_post(
        initiative=initiative,
        author=None,
        body="Delivered",
        status="completed",
        completed_on=D(2024, 5, 1),
    )
    initiative.refresh_from_db()
    assert (initiative.status, initiative.completed_on) == ("completed", D(2024, 5, 1))
    services.progress_update_post(
        initiative=initiative, author=None, body="Reopened", status="in_progress"
    )
    initiative.refresh_from_db()
    assert initiative.completed_on is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"progress": 150}, "progress"),
        ({"status": "superseded"}, "superseded_by"),
        ({"body": ""}, "body"),
        ({"confidence": "purple"}, "confidence"),
    ],
)
def test_bad_update_names_the_field_and_writes_nothing(change: dict[str, Any], field: str) -> None:
    initiative = InitiativeFactory()
    arguments = {"initiative": initiative, "author": None, "body": "Progress", **change}
    with pytest.raises(ValidationError) as error:
        services.progress_update_post(**arguments)
    assert field in str(error.value)
    assert not ProgressUpdate.objects.exists()
    initiative.refresh_from_db()
    assert (initiative.version, initiative.status) == (1, Initiative.Status.ANNOUNCED)


def test_initiative_create_writes_its_relations_and_history_for_the_actor() -> None:
    # given an actor, an agency to support, and a tag
    actor, supporter = UserFactory(), AgencyFactory()
    tag = Tag.objects.create(name="6G", slug="6g")
    lead = AgencyFactory()

    # when the initiative is created with them
    initiative = services.initiative_create(
        actor=actor,
        title="6G research and development",
        slug="6g-rnd",
        owner_agency=lead,
        supporting_agencies=[{"agency": supporter, "role": "participating"}],
        tags=[tag],
    )

    # then the relations and one history row by the actor are stored
    assert list(initiative.agency_roles.values_list("agency", "role")) == [
        (supporter.pk, "participating")
    ]
    assert list(initiative.tags.all()) == [tag]
    assert initiative.history.get().history_user == actor


def test_initiative_update_refuses_a_broken_rule_and_writes_nothing() -> None:
    initiative = InitiativeFactory(progress=10)
    with pytest.raises(ValidationError) as raised:
        services.initiative_update(initiative=initiative, actor=None, changes={"progress": 101})
    assert "progress" in raised.value.message_dict
    initiative.refresh_from_db()
    assert initiative.progress == 10
    assert initiative.history.count() == 1


def test_milestone_update_moves_the_date_with_its_reason_in_the_history() -> None:
    # given a milestone with a baseline
    milestone = MilestoneFactory(due_date=D(2030, 1, 1), baseline_due_date=D(2030, 1, 1))
    actor = UserFactory()

    # when its date moves without a reason, then with one
    with pytest.raises(ValidationError):
        services.milestone_update(
            milestone=milestone, actor=actor, changes={"due_date": D(2030, 3, 1)}
        )
    services.milestone_update(
        milestone=Milestone.objects.get(pk=milestone.pk),
        actor=actor,
        changes={"due_date": D(2030, 3, 1), "title": "Pilot lines"},
        due_date_reason="Equipment late",
    )

    # then the move, its reason and the actor are recorded once
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.baseline_due_date) == (D(2030, 3, 1), D(2030, 1, 1))
    assert milestone.due_date_reason == "Equipment late"
    latest = milestone.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (actor, "Equipment late")
